import { readFileSync } from 'node:fs';
import type { JsonValue, TaskSubmission } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { policyFlag } from './endpoint-groups.js';

export interface TaskFlags {
  function?: string;
  /** Each --endpoint given: one endpoint or group, or several endpoints for the hub to route among. */
  endpoint: string[];
  policy?: string;
  args?: string;
  kwargs?: string;
  timeout?: string;
  entrypoint?: string;
}

/** The submission `run` and `submit` send: a registered function (--function) or a Python file's source. */
export function buildSubmission(file: string | undefined, flags: TaskFlags): TaskSubmission {
  if (file && flags.function) throw new CliError('give either --function ID or FILE.py, not both', 2);
  if (!file && !flags.function) throw new CliError('give the function to run: --function ID or a FILE.py', 2);
  if (flags.function && flags.entrypoint) {
    throw new CliError('--entrypoint applies to FILE.py only; a registered function keeps its own', 2);
  }
  const task: TaskSubmission = { endpoint: flags.endpoint.length === 1 ? flags.endpoint[0] : flags.endpoint };
  const policy = policyFlag(flags.policy);
  if (policy) task.policy = policy;
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
  if (flags.timeout !== undefined) {
    const timeout = Number(flags.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new CliError(`--timeout must be a positive number of seconds, not '${flags.timeout}'`, 2);
    }
    task.timeout_s = timeout;
  }
  return task;
}

export function readSource(file: string): string {
  if (!file.endsWith('.py')) throw new CliError(`${file} is not a Python file: give a FILE.py`, 2);
  try {
    return readFileSync(file, 'utf8');
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
