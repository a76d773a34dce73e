import {
  FINAL_TASK_STATES,
  MAX_JSON_DEPTH,
  TASK_STATES,
  jsonTextDepth,
  type DaemonFrame,
  type ManagerFrame,
  type TaskState,
} from '@funcx/protocol';
import { ReplyProblem } from './worker-replies.js';

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const STATES = new Set<string>(TASK_STATES);

function everyItem(items: unknown, problem: (item: Fields) => string | undefined): string | undefined {
  if (!Array.isArray(items)) return 'it has no array of items';
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const why = isObject(item) ? problem(item) : 'an item is not an object';
    if (why !== undefined) return why;
  }
  return undefined;
}

function updateProblem(item: Fields): string | undefined {
  if (typeof item.task_id !== 'string') return 'an item\'s "task_id" is not a string';
  if (!STATES.has(item.state as string)) return 'an item\'s "state" is no task state';
  if (item.streams !== undefined && item.streams !== true) return 'an item\'s "streams" is not true';
  return isObject(item.timestamps) ? undefined : 'an item\'s "timestamps" is not an object';
}

function completionProblem(item: Fields): string | undefined {
  if (typeof item.task_id !== 'string') return 'a completion\'s "task_id" is not a string';
  if (!FINAL_TASK_STATES.has(item.state as TaskState)) return 'a completion\'s "state" is not success, failed or cancelled';
  if (!isObject(item.timestamps)) return 'a completion\'s "timestamps" is not an object';
  if (item.streams !== undefined && item.streams !== true) return 'a completion\'s "streams" is not true';
  if (item.result !== undefined && !(isObject(item.result) && isObject(item.result.data))) return 'a completion\'s "result" has no "data" bundle';
  if (item.error !== undefined && !(isObject(item.error) && typeof item.error.ename === 'string' && typeof item.error.evalue === 'string')) {
    return 'a completion\'s "error" lacks ename or evalue';
  }
  return undefined;
}

function loadProblem(load: unknown): string | undefined {
  if (!isObject(load)) return 'its "load" is not an object';
  for (const key of ['workers_total', 'workers_busy', 'queued', 'running']) {
    if (!isCount(load[key])) return `its load's "${key}" is not a count`;
  }
  return Array.isArray(load.warm_images) ? undefined : 'its load\'s "warm_images" is not an array';
}

/** Which fields of a manager's frame are missing or of the wrong type; hand-written because this runs per frame. */
function managerFrameProblem(frame: Fields): string | undefined {
  switch (frame.t) {
    case 'register': {
      if (typeof frame.secret !== 'string' || typeof frame.block_id !== 'string' || typeof frame.node !== 'string') {
        return 'its "secret", "block_id" or "node" is not a string';
      }
      if (!isCount(frame.pid) || !isCount(frame.workers)) return 'its "pid" or "workers" is not a count';
      const resources = frame.resources;
      if (!isObject(resources) || !isCount(resources.cpus) || !isCount(resources.memory_mb) || !Array.isArray(resources.accelerators)) {
        return 'its "resources" lacks cpus, memory_mb or accelerators';
      }
      if (!Array.isArray(frame.block_nodes) || !frame.block_nodes.every((node) => typeof node === 'string')) {
        return 'its "block_nodes" is not a list of host names';
      }
      return typeof frame.version === 'string' ? undefined : 'its "version" is not a string';
    }
    case 'load':
      return isCount(frame.capacity) ? loadProblem(frame.load) : 'its "capacity" is not a count';
    case 'states':
    case 'outputs':
      return everyItem(frame.updates, frame.t === 'states' ? updateProblem : (item) =>
        typeof item.task_id === 'string' && isObject(item.output) ? undefined : 'an output lacks "task_id" or "output"',
      );
    case 'done':
      return isCount(frame.capacity) ? everyItem(frame.completions, completionProblem) : 'its "capacity" is not a count';
    case 'log':
      if (frame.level !== 'info' && frame.level !== 'warn' && frame.level !== 'error') return 'its "level" is not info, warn or error';
      return typeof frame.line === 'string' ? undefined : 'its "line" is not a string';
    case 'container-problem':
      return typeof frame.image === 'string' && typeof frame.message === 'string' ? undefined : 'its "image" or "message" is not a string';
    case 'failed':
      return typeof frame.reason === 'string' ? undefined : 'its "reason" is not a string';
    case 'session-gone':
      return typeof frame.owner === 'string' && typeof frame.name === 'string' && typeof frame.reason === 'string'
        ? undefined
        : 'its "owner", "name" or "reason" is not a string';
    default:
      return 'it is of no known kind (register, load, states, outputs, done, session-gone, log, container-problem, failed)';
  }
}

function daemonFrameProblem(frame: Fields): string | undefined {
  switch (frame.t) {
    case 'welcome':
      return typeof frame.manager_id === 'string' && isObject(frame.settings) ? undefined : 'its "manager_id" or "settings" is missing';
    case 'tasks':
      if (!Array.isArray(frame.functions)) return 'its "functions" is not an array';
      return everyItem(frame.tasks, (task) =>
        typeof task.task_id === 'string' && typeof task.function_id === 'string' && typeof task.owner === 'string'
          ? undefined
          : 'a task lacks task_id, function_id or owner',
      );
    case 'cancel':
      return Array.isArray(frame.task_ids) ? undefined : 'its "task_ids" is not an array';
    case 'end-sessions':
      return everyItem(frame.sessions, (item) =>
        typeof item.owner === 'string' && typeof item.name === 'string' ? undefined : 'a session lacks "owner" or "name"',
      );
    case 'drain':
    case 'stop':
      return undefined;
    default:
      return 'it is of no known kind (welcome, tasks, cancel, end-sessions, drain, stop)';
  }
}

function decode<T>(line: string, problemOf: (frame: Fields) => string | undefined): T | ReplyProblem {
  if (jsonTextDepth(line, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return new ReplyProblem(`a frame nests more than ${MAX_JSON_DEPTH} levels deep`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return new ReplyProblem(`a frame is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!isObject(parsed)) return new ReplyProblem('a frame is not a JSON object');
  const problem = problemOf(parsed);
  if (problem === undefined) return parsed as T;
  return new ReplyProblem(`a frame of kind ${String(JSON.stringify(parsed.t)).slice(0, 40)} is malformed: ${problem}`);
}

/** One frame from a manager: the frame, or what is wrong with it (not JSON, too deep, wrong shape). */
export function decodeManagerFrame(line: string): ManagerFrame | ReplyProblem {
  return decode<ManagerFrame>(line, managerFrameProblem);
}

/** One frame from the daemon, as its manager reads it. */
export function decodeDaemonFrame(line: string): DaemonFrame | ReplyProblem {
  return decode<DaemonFrame>(line, daemonFrameProblem);
}
