import { MAX_JSON_DEPTH, jsonTextDepth, type WorkerReply } from '@funcx/protocol';

/** A reply line the daemon cannot accept: what was wrong with it, for the task's error. */
export class ReplyProblem {
  constructor(readonly reason: string) {}
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isError(value: unknown): boolean {
  if (!isObject(value) || typeof value.ename !== 'string' || typeof value.evalue !== 'string') return false;
  const traceback = value.traceback;
  if (!Array.isArray(traceback)) return false;
  for (let i = 0; i < traceback.length; i++) if (typeof traceback[i] !== 'string') return false;
  return true;
}

function isResult(value: unknown): boolean {
  return isObject(value) && isObject(value.data) && (value.pickle === undefined || typeof value.pickle === 'string');
}

/** Which fields of each reply kind are missing or of the wrong type; hand-written because this runs per reply. */
function shapeProblem(reply: Fields): string | undefined {
  switch (reply.t) {
    case 'ok':
    case 'err':
      if (typeof reply.i !== 'string') return 'its task id "i" is not a string';
      if (typeof reply.ts0 !== 'number' || typeof reply.ts1 !== 'number') return 'its times "ts0"/"ts1" are not numbers';
      if (reply.t === 'ok' ? !isResult(reply.r) : !isError(reply.e)) {
        return reply.t === 'ok' ? 'its result "r" has no "data" bundle' : 'its error "e" lacks ename, evalue or traceback';
      }
      return undefined;
    case 'o':
      if (reply.i !== null && typeof reply.i !== 'string') return 'its task id "i" is neither a string nor null';
      if (reply.n !== 'stdout' && reply.n !== 'stderr') return 'its stream "n" is neither stdout nor stderr';
      return typeof reply.x === 'string' ? undefined : 'its text "x" is not a string';
    case 'd':
      if (reply.i !== null && typeof reply.i !== 'string') return 'its task id "i" is neither a string nor null';
      return isObject(reply.data) && isObject(reply.md) ? undefined : 'its "data" or "md" is not an object';
    case 's':
      if (reply.g !== undefined && reply.g !== true) return 'its "g" is not true';
      return typeof reply.i === 'string' && typeof reply.ts === 'number' ? undefined : 'its "i" or "ts" has the wrong type';
    case 'ready':
      return typeof reply.pid === 'number' && typeof reply.python === 'string' ? undefined : 'its "pid" or "python" has the wrong type';
    default:
      return 'it is of no known kind (ready, s, o, d, ok, err)';
  }
}

/** One line from a worker's fd 4: the reply, or what is wrong with it (not JSON, too deep, wrong shape). */
export function decodeReply(line: string): WorkerReply | ReplyProblem {
  if (jsonTextDepth(line, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return new ReplyProblem(`a reply nests more than ${MAX_JSON_DEPTH} levels deep`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return new ReplyProblem(`a reply is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!isObject(parsed)) return new ReplyProblem('a reply is not a JSON object');
  const problem = shapeProblem(parsed);
  if (problem === undefined) return parsed as WorkerReply;
  return new ReplyProblem(`a reply of kind ${String(JSON.stringify(parsed.t)).slice(0, 40)} is malformed: ${problem}`);
}
