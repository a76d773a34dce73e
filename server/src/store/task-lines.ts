import type { StateTimestamps, TaskOutput, TaskRecord } from '@funcx/protocol';

/**
 * Journal lines for tasks, the hub's hottest serialisation: a new task is written whole (`task`), a change to a
 * known task only with the fields that can change (`task~`). Outputs are written as what was added since the
 * task's last line (`grow`: text appended to the last stream chunk, `add`: new chunks), so a task that prints
 * 200 MB writes each byte once, and nothing once its outputs reach their limit. Each line is one
 * JSON.stringify of a small object: V8 writes it in one pass, where a line built by concatenation cost twice
 * as much.
 */

export interface TaskChange {
  id: string;
  state: TaskRecord['state'];
  timestamps: StateTimestamps;
  attempts: number;
  /** The whole outputs (after they were trimmed, or when the journal knew none of them). */
  outputs?: TaskOutput[];
  /** Text appended to the last output known to the journal, a stream chunk. */
  grow?: string;
  /** Outputs added after those known to the journal. */
  add?: TaskOutput[];
  result?: TaskRecord['result'];
  error?: TaskRecord['error'];
}

/** What the journal holds of one task's outputs: the array it last saw, its length and its last text's length. */
export interface OutputCursor {
  outputs: TaskOutput[];
  count: number;
  lastTextLength: number;
}

function cursorOf(outputs: TaskOutput[]): OutputCursor {
  const last = outputs[outputs.length - 1];
  return { outputs, count: outputs.length, lastTextLength: last?.output_type === 'stream' ? last.text.length : 0 };
}

export function newTaskLine(task: TaskRecord, cursors: Map<string, OutputCursor>): string {
  cursors.set(task.task_id, cursorOf(task.outputs));
  return JSON.stringify({ k: 'task', v: task }) + '\n';
}

export function changedTaskLine(task: TaskRecord, cursors: Map<string, OutputCursor>): string {
  const change: { k: 'task~' } & TaskChange = {
    k: 'task~',
    id: task.task_id,
    state: task.state,
    timestamps: task.timestamps,
    attempts: task.attempts,
  };
  const outputs = task.outputs;
  const cursor = cursors.get(task.task_id);
  if (!cursor || cursor.outputs !== outputs || cursor.count > outputs.length) {
    if (cursor || outputs.length > 0) change.outputs = outputs;
  } else {
    if (cursor.count > 0) {
      const known = outputs[cursor.count - 1];
      if (known.output_type === 'stream' && known.text.length > cursor.lastTextLength) {
        change.grow = known.text.slice(cursor.lastTextLength);
      }
    }
    if (outputs.length > cursor.count) change.add = outputs.slice(cursor.count);
  }
  if (task.result !== undefined) change.result = task.result;
  if (task.error !== undefined) change.error = task.error;
  if (change.state === 'success' || change.state === 'failed' || change.state === 'cancelled') cursors.delete(task.task_id);
  else cursors.set(task.task_id, cursorOf(outputs));
  return JSON.stringify(change) + '\n';
}

/** Applies a `task~` line to the task it names. */
export function applyTaskChange(task: TaskRecord, change: TaskChange): void {
  task.state = change.state;
  task.timestamps = change.timestamps;
  task.attempts = change.attempts;
  if (change.outputs !== undefined) task.outputs = change.outputs;
  if (change.grow !== undefined) {
    const last = task.outputs[task.outputs.length - 1];
    if (last?.output_type === 'stream') last.text += change.grow;
  }
  if (change.add !== undefined) task.outputs.push(...change.add);
  if (change.result !== undefined) task.result = change.result;
  if (change.error !== undefined) task.error = change.error;
}
