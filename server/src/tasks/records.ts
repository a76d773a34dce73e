import {
  MAX_RESULT_BYTES,
  TASK_STATES,
  formatBytes,
  type TaskCompletion,
  type TaskError,
  type TaskOutput,
  type TaskRecord,
  type TaskResult,
  type TaskState,
} from '@funcx/protocol';

/** Rules for how a stored task record changes; pure functions, no I/O. */

const STATE_ORDER = new Map<TaskState, number>(TASK_STATES.map((state, index) => [state, index]));

/** Whether an endpoint's report moves a task forward (reports never move a task back). */
export function movesForward(from: TaskState, to: TaskState): boolean {
  return (STATE_ORDER.get(to) ?? 0) > (STATE_ORDER.get(from) ?? 0);
}

export function hubError(ename: string, evalue: string): TaskError {
  return { ename, evalue, traceback: [] };
}

export function outputBytes(output: TaskOutput): number {
  return output.output_type === 'stream' ? output.text.length : JSON.stringify(output.data).length;
}

export function totalOutputBytes(outputs: TaskOutput[]): number {
  let total = 0;
  for (const output of outputs) total += outputBytes(output);
  return total;
}

const TRUNCATED_NOTE = (limit: number) =>
  `\n[funcx: further output was dropped: a task keeps at most ${formatBytes(limit)} of outputs and result]\n`;

/**
 * Appends an output chunk, merging it into the previous chunk when both are the same stream; past the
 * byte limit the chunk is dropped and a note is added once. Returns the bytes now stored and whether the
 * outputs changed (once the note is there, further chunks change nothing and need not be stored again).
 */
export function appendOutput(
  task: TaskRecord,
  output: TaskOutput,
  storedBytes: number,
  limit = MAX_RESULT_BYTES,
): { storedBytes: number; changed: boolean } {
  const size = outputBytes(output);
  if (storedBytes + size > limit) {
    const last = task.outputs[task.outputs.length - 1];
    if (last?.output_type === 'stream' && last.name === 'stderr' && last.text.endsWith(TRUNCATED_NOTE(limit))) {
      return { storedBytes, changed: false };
    }
    task.outputs.push({ output_type: 'stream', name: 'stderr', text: TRUNCATED_NOTE(limit) });
    return { storedBytes, changed: true };
  }
  const last = task.outputs[task.outputs.length - 1];
  if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
    last.text += output.text;
  } else {
    task.outputs.push(output.output_type === 'stream' ? { ...output } : output);
  }
  return { storedBytes: storedBytes + size, changed: true };
}

/**
 * A result's size as the limit counts it: its largest representation (the value, its rich representations, or
 * its pickle), not their sum: a 9 MiB string is a 9 MiB result, though its repr travels beside it.
 */
export function resultSize(result: TaskResult): number {
  const value = result.value === undefined ? 0 : JSON.stringify(result.value).length;
  const data = JSON.stringify(result.data ?? {}).length;
  return Math.max(value, data, result.pickle?.length ?? 0);
}

/**
 * Records a final state. A result too large to keep fails the task with a clear error; outputs are trimmed
 * from the end so that outputs and result together stay within the limit.
 */
export function applyCompletion(task: TaskRecord, completion: TaskCompletion, at: number, limit = MAX_RESULT_BYTES): void {
  let state = completion.state;
  let result = completion.result;
  let error = completion.error;
  const resultBytes = (result ? resultSize(result) : 0) + (error ? JSON.stringify(error).length : 0);
  if (resultBytes > limit) {
    state = 'failed';
    result = undefined;
    error = hubError(
      'ResultTooLarge',
      `The result is ${formatBytes(resultBytes)}, over the hub's limit of ${formatBytes(limit)}: ` +
        'return less data, or write it to shared storage and return its path',
    );
  }
  const room = limit - resultBytes;
  if (task.outputs.length > 0 && totalOutputBytes(task.outputs) > room) trimOutputs(task, Math.max(room, 0), limit);
  task.state = state;
  for (const key in completion.timestamps) {
    const stamp = completion.timestamps[key as TaskState];
    if (stamp !== undefined && task.timestamps[key as TaskState] === undefined) task.timestamps[key as TaskState] = stamp;
  }
  task.timestamps[state] = completion.timestamps?.[state] ?? at;
  if (result !== undefined) task.result = result;
  if (error !== undefined) task.error = error;
  if (completion.session_restarted !== undefined && task.session !== undefined) task.session_restarted = completion.session_restarted;
  if (completion.streams) task.streams = true;
}

function trimOutputs(task: TaskRecord, room: number, limit: number): void {
  const kept: TaskOutput[] = [];
  let used = 0;
  for (const output of task.outputs) {
    const size = outputBytes(output);
    if (used + size > room) {
      if (output.output_type === 'stream' && room - used > 0) {
        kept.push({ ...output, text: output.text.slice(0, room - used) });
      }
      break;
    }
    kept.push(output);
    used += size;
  }
  kept.push({ output_type: 'stream', name: 'stderr', text: TRUNCATED_NOTE(limit) });
  task.outputs = kept;
}
