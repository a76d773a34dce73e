import type { StateTimestamps, TaskRecord } from '@funcx/protocol';

/**
 * Journal lines for tasks, written by hand because they are the hub's hottest serialisation: a new task is
 * written whole (`task`), a change to a known task only with the fields that can change (`task~`).
 * Ids are UUIDs the hub made and states are fixed words, so neither needs escaping.
 */

export interface TaskChange {
  id: string;
  state: TaskRecord['state'];
  timestamps: StateTimestamps;
  attempts: number;
  outputs?: TaskRecord['outputs'];
  result?: TaskRecord['result'];
  error?: TaskRecord['error'];
}

function timestampsJson(timestamps: StateTimestamps): string {
  let text = '{';
  for (const key in timestamps) {
    const value = timestamps[key as keyof StateTimestamps];
    if (value === undefined) continue;
    text += (text.length === 1 ? '"' : ',"') + key + '":' + value;
  }
  return text + '}';
}

export function newTaskLine(task: TaskRecord): string {
  let text =
    '{"k":"task","v":{"task_id":"' + task.task_id +
    '","function_id":"' + task.function_id +
    '","endpoint_id":"' + task.endpoint_id +
    '","owner":' + JSON.stringify(task.owner);
  if (task.batch_id !== undefined) text += ',"batch_id":"' + task.batch_id + '"';
  text += ',"args":' + (task.args.length === 0 ? '[]' : JSON.stringify(task.args));
  text += ',"kwargs":' + JSON.stringify(task.kwargs);
  if (task.timeout_s !== undefined) text += ',"timeout_s":' + task.timeout_s;
  return text + ',' + changedFields(task) + '}}\n';
}

export function changedTaskLine(task: TaskRecord): string {
  return '{"k":"task~","id":"' + task.task_id + '",' + changedFields(task) + '}\n';
}

function changedFields(task: TaskRecord): string {
  let text =
    '"state":"' + task.state +
    '","timestamps":' + timestampsJson(task.timestamps) +
    ',"attempts":' + task.attempts +
    ',"outputs":' + (task.outputs.length === 0 ? '[]' : JSON.stringify(task.outputs));
  if (task.result !== undefined) text += ',"result":' + JSON.stringify(task.result);
  if (task.error !== undefined) text += ',"error":' + JSON.stringify(task.error);
  return text;
}

/** Applies a `task~` line to the task it names. */
export function applyTaskChange(task: TaskRecord, change: TaskChange): void {
  task.state = change.state;
  task.timestamps = change.timestamps;
  task.attempts = change.attempts;
  if (change.outputs !== undefined) task.outputs = change.outputs;
  if (change.result !== undefined) task.result = change.result;
  if (change.error !== undefined) task.error = change.error;
}
