import {
  GROUP_PREFIX,
  NAME_RULES,
  POLICY_NAMES,
  isPolicyName,
  isValidName,
  type EndpointTarget,
  type PolicyName,
  type TaskSubmission
} from '@funcx/protocol';

/** A parsed `%%funcx [TARGET] [--policy P] [--timeout S] [--session NAME] [--async] [-o NAME]` first line. */
export interface FuncxMagic {
  /**
   * Where to run, as written: an endpoint name or id, an endpoint group (`group:NAME`, `group:OWNER/NAME`) or
   * several endpoints separated by commas (`a,bob/b`); undefined means the notebook's default.
   */
  endpoint?: string;
  /** How the hub chooses among several endpoints. */
  policy?: PolicyName;
  timeoutS?: number;
  /** `--session NAME`: the cell runs in that session of the user's, seeing what its earlier cells defined. */
  session?: string;
  /** `--async`: the cell runs beside the cells before and after it instead of waiting its turn. */
  async?: boolean;
  /** `-o NAME`: the cell's value is stored in the notebook's kernel as NAME. */
  output?: string;
  /** The cell without its first line. */
  body: string;
  /** The code as it is sent: the first line left blank, so line numbers in a traceback are the editor's. */
  code: string;
}

export class MagicError extends Error {}

const MAGIC = /^%%funcx(?=\s|$)/;
const FORM = '"%%funcx [ENDPOINT | group:NAME | A,B] [--policy NAME] [--timeout SECONDS] [--session NAME] [--async] [-o NAME]"';
const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with a `group:` reference, or undefined: `group:NAME`, `group:OWNER/NAME` or `group:ID`. */
function groupRefProblem(ref: string): string | undefined {
  const rest = ref.slice(GROUP_PREFIX.length);
  if (UUID.test(rest)) return undefined;
  const slash = rest.indexOf('/');
  const owner = slash === -1 ? undefined : rest.slice(0, slash);
  const name = slash === -1 ? rest : rest.slice(slash + 1);
  if (owner !== undefined && !isValidName('user', owner)) return `"${ref}" names no owner before the "/": write group:NAME, or group:OWNER/NAME for a group shared with you`;
  if (!isValidName('endpoint_group', name)) {
    return `"${ref}" is not an endpoint group: write group:NAME (letters, digits, "_", "." or "-"), or group:OWNER/NAME for one shared with you`;
  }
  return undefined;
}

/** What is wrong with the endpoint word of a first line, or undefined. */
function targetProblem(word: string): string | undefined {
  if (word.startsWith(GROUP_PREFIX)) return groupRefProblem(word);
  if (!word.includes(',')) return undefined;
  const parts = word.split(',');
  if (parts.some(part => part === '')) return `"${word}" has an empty endpoint: separate endpoints with single commas, no spaces ("a,b")`;
  const group = parts.find(part => part.startsWith(GROUP_PREFIX));
  if (group) return `"${group}" is an endpoint group: name a group alone ("%%funcx ${group}"), or list its endpoints`;
  return undefined;
}

/** The submission's `endpoint` for what a first line (or the default endpoint) names: several endpoints as a list. */
export function endpointTarget(written: string): EndpointTarget {
  return written.includes(',') ? written.split(',') : written;
}

/** Whether the hub chooses where a task for this target runs (a group, or several endpoints). */
export function isRoutedTarget(written: string): boolean {
  return written.startsWith(GROUP_PREFIX) || written.includes(',');
}

export function isFuncxCell(source: string): boolean {
  return MAGIC.test(source.trimStart());
}

/** Parses a `%%funcx` cell; throws MagicError with what to change for a bad first line. */
export function parseFuncxMagic(source: string): FuncxMagic {
  const trimmed = source.trimStart();
  const newline = trimmed.indexOf('\n');
  const firstLine = newline === -1 ? trimmed : trimmed.slice(0, newline);
  const body = newline === -1 ? '' : trimmed.slice(newline + 1);
  const words = firstLine.trim().split(/\s+/).slice(1);
  const magic: FuncxMagic = { body, code: cellCode(source) };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--policy' || word.startsWith('--policy=')) {
      const value = word.includes('=') ? word.slice('--policy='.length) : words[++i];
      if (!isPolicyName(value)) {
        throw new MagicError(`--policy needs one of ${POLICY_NAMES.join(', ')}, e.g. "%%funcx group:gpus --policy least-loaded" (got "${value ?? ''}")`);
      }
      magic.policy = value;
    } else if (word === '--timeout' || word.startsWith('--timeout=')) {
      const value = word.includes('=') ? word.slice('--timeout='.length) : words[++i];
      const seconds = Number(value);
      if (!value || !Number.isFinite(seconds) || seconds <= 0) {
        throw new MagicError(`--timeout needs a number of seconds above 0, e.g. "%%funcx local --timeout 60" (got "${value ?? ''}")`);
      }
      magic.timeoutS = seconds;
    } else if (word === '--session' || word.startsWith('--session=')) {
      magic.session = sessionName(word.includes('=') ? word.slice('--session='.length) : words[++i]);
    } else if (word === '--async') {
      magic.async = true;
    } else if (word === '-o' || word === '--output' || word.startsWith('--output=')) {
      const value = word.includes('=') ? word.slice('--output='.length) : words[++i];
      if (!value || !PYTHON_NAME.test(value)) {
        throw new MagicError(`${word.split('=')[0]} needs a Python name to store the value under, e.g. "%%funcx local -o mean" (got "${value ?? ''}")`);
      }
      magic.output = value;
    } else if (word.startsWith('-')) {
      throw new MagicError(`Unknown option ${word}: the first line reads ${FORM}`);
    } else if (magic.endpoint === undefined) {
      const problem = targetProblem(word);
      if (problem) throw new MagicError(`${problem}; the first line reads ${FORM}`);
      magic.endpoint = word;
    } else {
      throw new MagicError(
        `One endpoint, group or comma-separated list per cell: the first line reads ${FORM} (got "${word}" after "${magic.endpoint}")`
      );
    }
  }
  return magic;
}

/**
 * What a `%%funcx` cell's task carries besides where it goes: its code, its options, its session (the line's, else
 * the notebook's default), and a pickled value when `-o NAME` keeps it in the kernel.
 */
export function cellSubmission(magic: FuncxMagic, defaultSession?: string): Omit<TaskSubmission, 'endpoint'> {
  const session = magic.session ?? defaultSession;
  return {
    // Ending in a newline, as a kernel's cell does (IPython adds one), so that a traceback reads the same in both.
    source: magic.code.endsWith('\n') || magic.code === '' ? magic.code : `${magic.code}\n`,
    timeout_s: magic.timeoutS,
    ...(magic.policy ? { policy: magic.policy } : {}),
    ...(session ? { session } : {}),
    ...(magic.output ? { return_pickle: true } : {})
  };
}

/** A session name as a first line (or a notebook's default) gives it; MagicError with the rule when it is not one. */
export function sessionName(value: string | undefined): string {
  if (value === undefined || !isValidName('session', value)) {
    throw new MagicError(`--session needs a session name, e.g. "%%funcx local --session analysis" (got "${value ?? ''}"): ${NAME_RULES.session.rule}`);
  }
  return value;
}

/** The name of the only top-level function the source defines, if it defines exactly one. */
export function singleTopLevelFunction(source: string): string | undefined {
  const names = [...source.matchAll(/^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)].map(m => m[1]);
  return names.length === 1 ? names[0] : undefined;
}

/**
 * A cell's code without its `%%funcx` line: that line (and any blank lines before it) left empty, so that
 * line N of what runs is line N in the editor.
 */
export function cellCode(source: string): string {
  if (!isFuncxCell(source)) return source;
  const start = source.length - source.trimStart().length;
  const newline = source.indexOf('\n', start);
  if (newline === -1) return '';
  const blankLines = source.slice(0, newline + 1).split('\n').length - 1;
  return '\n'.repeat(blankLines) + source.slice(newline + 1);
}
