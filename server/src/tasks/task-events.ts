import type { TaskEvent, TaskOutput, TaskRecord, TaskState } from '@funcx/protocol';
import type { EventFanout } from '../events/fanout.js';
import type { HubMetrics } from '../metrics.js';
import { appendOutput, totalOutputBytes } from './records.js';

/**
 * What every part of the task life tells clients and metrics: a task's state, its outputs as they arrive, its
 * end. Keeps the bytes of outputs stored per running task, so each chunk is not measured again.
 */
export class TaskEvents {
  private readonly outputBytes = new Map<string, number>();

  constructor(
    private readonly fanout: EventFanout,
    private readonly metrics: HubMetrics,
  ) {}

  /** The task entered `state` (its state now, unless it has moved on since). */
  state(task: TaskRecord, state: TaskState = task.state): void {
    const event: TaskEvent = { type: 'state', task_id: task.task_id, endpoint_id: task.endpoint_id, state, timestamps: task.timestamps };
    if (task.streams) event.streams = true;
    this.fanout.task(task.owner, event);
  }

  /** Appends an output to the task's record (within its limit); false when that changed nothing to store. */
  append(task: TaskRecord, output: TaskOutput): boolean {
    const stored = this.outputBytes.get(task.task_id) ?? totalOutputBytes(task.outputs);
    const appended = appendOutput(task, output, stored);
    this.outputBytes.set(task.task_id, appended.storedBytes);
    return appended.changed;
  }

  /** Tells the task's owner of an output appended to it. */
  output(task: TaskRecord, output: TaskOutput): void {
    this.fanout.task(task.owner, { type: 'output', task_id: task.task_id, output });
  }

  /** Events and metrics for tasks that just reached their final state. */
  finished(tasks: TaskRecord[]): void {
    for (const task of tasks) {
      const state = task.state as 'success' | 'failed' | 'cancelled';
      this.outputBytes.delete(task.task_id);
      const { received } = task.timestamps;
      const final = task.timestamps[state];
      this.metrics.taskFinished(state, received !== undefined && final !== undefined ? final - received : undefined);
      const event: { type: 'final' } & Pick<TaskRecord, 'task_id' | 'endpoint_id' | 'timestamps' | 'result' | 'error' | 'cached' | 'session_restarted' | 'streams'> & { state: typeof state } = {
        type: 'final',
        task_id: task.task_id,
        endpoint_id: task.endpoint_id,
        state,
        timestamps: task.timestamps,
      };
      if (task.result !== undefined) event.result = task.result;
      if (task.error !== undefined) event.error = task.error;
      if (task.cached !== undefined) event.cached = task.cached;
      if (task.session_restarted !== undefined) event.session_restarted = task.session_restarted;
      if (task.streams) event.streams = true;
      this.fanout.task(task.owner, event);
    }
  }

  /** Resolves once the events queued so far have gone out (acknowledgements wait for it). */
  sent(): Promise<void> {
    return this.fanout.sent();
  }
}

/** These tasks less those whose ids are listed (refused by the store: another final state came first). */
export function withoutIds(tasks: TaskRecord[], ids: string[]): TaskRecord[] {
  if (ids.length === 0) return tasks;
  const skip = new Set(ids);
  return tasks.filter((task) => !skip.has(task.task_id));
}

