import { readFileSync } from 'node:fs';
import type { JsonValue, TaskSubmission } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { SHELL_ENTRYPOINT, SHELL_RESULT_LINES, SHELL_TIMEOUT_MARGIN_S, shellRunnerSource } from '../shell-task.js';
import { policyFlag } from './endpoint-groups.js';
import { sessionName } from './sessions.js';

export interface TaskFlags {
  function?: string;
  /** Each --endpoint given: one endpoint or group, or several endpoints for the hub to route among. */
  endpoint: string[];
  policy?: string;
  args?: string;
  kwargs?: string;
  timeout?: string;
  entrypoint?: string;
  /** A shell command (a template filled from --kwargs) instead of a function. */
  shell?: string;
  walltime?: string;
  /** --cache / --no-cache: memoize this task, or run it even when its function is pure. */
  cache?: boolean;
  session?: string;
}

/** The submission `run` and `submit` send: a registered function (--function) or a Python file's source. */
export function buildSubmission(file: string | undefined, flags: TaskFlags): TaskSubmission {
  if (flags.shell !== undefined) return buildShellSubmission(file, flags);
  if (flags.walltime !== undefined) throw new CliError('--walltime applies to --shell commands only (a function takes --timeout)', 2);
  if (file && flags.function) throw new CliError('give either --function ID or FILE.py, not both', 2);
  if (!file && !flags.function) throw new CliError('give the function to run: --function ID or a FILE.py', 2);
  if (flags.function && flags.entrypoint) {
    throw new CliError('--entrypoint applies to FILE.py only; a registered function keeps its own', 2);
  }
  const task = target(flags);
  if (flags.function) task.function_id = flags.function;
  else {
    task.source = readSource(file!);
    if (flags.entrypoint) task.entrypoint = flags.entrypoint;
  }
  if (flags.args !== undefined) {
    const args = parseJson('--args', flags.args);
    if (!Array.isArray(args)) throw new CliError(`--args must be a JSON array, such as '[1, "two"]'`, 2);
    task.args = args;
  }
  if (flags.kwargs !== undefined) {
    const kwargs = parseJson('--kwargs', flags.kwargs);
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
      throw new CliError(`--kwargs must be a JSON object, such as '{"n": 3}'`, 2);
    }
    task.kwargs = kwargs;
  }
  if (flags.timeout !== undefined) task.timeout_s = seconds('--timeout', flags.timeout);
  if (flags.cache !== undefined) task.cache = flags.cache;
  return task;
}

/**
 * A shell command as a task: the shell runner called with the command template, the --kwargs that fill it (each
 * value shell-quoted on the endpoint) and the walltime after which it stops with return code 124.
 */
function buildShellSubmission(file: string | undefined, flags: TaskFlags): TaskSubmission {
  if (file || flags.function || flags.entrypoint || flags.args !== undefined) {
    throw new CliError('--shell runs a command: give it without FILE.py, --function, --entrypoint or --args (fill its template with --kwargs)', 2);
  }
  if (!flags.shell!.trim()) throw new CliError("--shell needs a command, e.g. --shell 'ls -l'", 2);
  const kwargs: { [key: string]: JsonValue } = { cmd: flags.shell!, lines: SHELL_RESULT_LINES };
  if (flags.kwargs !== undefined) {
    const fields = parseJson('--kwargs', flags.kwargs);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new CliError(`--kwargs must be a JSON object of the template's fields, such as '{"path": "/tmp"}'`, 2);
    }
    kwargs.kwargs = Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  }
  const task: TaskSubmission = { ...target(flags), source: shellRunnerSource(), entrypoint: SHELL_ENTRYPOINT, kwargs };
  if (flags.walltime !== undefined) {
    kwargs.walltime = seconds('--walltime', flags.walltime);
    task.timeout_s = kwargs.walltime + SHELL_TIMEOUT_MARGIN_S;
  }
  if (flags.timeout !== undefined) task.timeout_s = seconds('--timeout', flags.timeout);
  return task;
}

/** Where the task goes: one endpoint or group, or several endpoints for the hub to route among (with --policy). */
function target(flags: TaskFlags): TaskSubmission {
  const task: TaskSubmission = { endpoint: flags.endpoint.length === 1 ? flags.endpoint[0] : flags.endpoint };
  const policy = policyFlag(flags.policy);
  if (policy) task.policy = policy;
  if (flags.session !== undefined) task.session = sessionName(flags.session);
  return task;
}

function seconds(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new CliError(`${flag} must be a positive number of seconds, not '${text}'`, 2);
  return value;
}

export function readSource(file: string): string {
  if (!file.endsWith('.py')) throw new CliError(`${file} is not a Python file: give a FILE.py`, 2);
  return readFile(file).toString('utf8');
}

/** A WebAssembly module's bytes in base64: the source of a wasm function. */
export function readWasmModule(file: string): string {
  return readFile(file).toString('base64');
}

function readFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${file}${code === 'ENOENT' ? ': no such file' : ` (${code})`}`, 2);
  }
}

export function parseJson(flag: string, text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new CliError(`${flag} is not valid JSON (${(error as Error).message}): quote it, e.g. ${flag} '[1, 2]'`, 2);
  }
}
