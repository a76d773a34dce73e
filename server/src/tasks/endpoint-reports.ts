import { isFinalState, type TaskCompletion, type TaskOutput, type TaskOutputUpdate, type TaskRecord, type TaskState, type TaskStateUpdate } from '@funcx/protocol';
import type { Memo } from '../memo/memo.js';
import type { Store } from '../store/store.js';
import { now } from './clock.js';
import type { HeldRecords } from './held-records.js';
import { applyCompletion, movesForward } from './records.js';
import { withoutIds, type TaskEvents } from './task-events.js';

/**
 * What endpoints report of the tasks they hold: states, outputs, ends. Only an endpoint's own tasks change, and
 * clients hear of a change once it is written (a task another hub made final meanwhile changes no more).
 */
export class EndpointReports {
  constructor(
    private readonly store: Store,
    private readonly records: HeldRecords,
    private readonly events: TaskEvents,
    private readonly memo?: Memo,
  ) {}

  /** State reports from an endpoint; only forward moves of its own unfinished tasks count, and a stream's start. */
  async onStates(endpointId: string, updates: TaskStateUpdate[]): Promise<void> {
    const tasks = await this.records.read(endpointId, updates.map((update) => update.task_id));
    const changed: TaskRecord[] = [];
    const states: TaskState[] = [];
    const at = now();
    for (let i = 0; i < updates.length; i++) {
      const task = tasks[i];
      const update = updates[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(update.state) || isFinalState(task.state)) continue;
      const forward = movesForward(task.state, update.state);
      const streams = update.streams === true && !task.streams;
      if (!forward && !streams) continue;
      if (forward) {
        task.state = update.state;
        Object.assign(task.timestamps, update.timestamps);
        task.timestamps[update.state] ??= at;
      }
      if (streams) task.streams = true;
      changed.push(task);
      states.push(task.state);
    }
    if (changed.length === 0) return;
    const refused = new Set(await this.records.write(changed));
    // The state each report moved to: a record may have moved on (to its end) while it was written.
    for (let i = 0; i < changed.length; i++) if (!refused.has(changed[i].task_id)) this.events.state(changed[i], states[i]);
  }

  async onOutputs(endpointId: string, updates: TaskOutputUpdate[]): Promise<void> {
    const tasks = await this.records.read(endpointId, updates.map((update) => update.task_id));
    const changed = new Set<TaskRecord>();
    const appended: [TaskRecord, TaskOutput][] = [];
    for (let i = 0; i < updates.length; i++) {
      const task = tasks[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(task.state)) continue;
      if (this.events.append(task, updates[i].output)) {
        changed.add(task);
        appended.push([task, updates[i].output]);
      }
    }
    if (changed.size === 0) return;
    const refused = new Set(await this.records.write([...changed]));
    for (const [task, output] of appended) if (!refused.has(task.task_id)) this.events.output(task, output);
  }

  /** Final states from an endpoint; returns the ids it may forget (duplicates and late results included). */
  async onDone(endpointId: string, completions: TaskCompletion[]): Promise<string[]> {
    const ids = completions.map((completion) => completion.task_id);
    const tasks = await this.records.read(endpointId, ids);
    const changed: TaskRecord[] = [];
    const at = now();
    for (let i = 0; i < completions.length; i++) {
      const task = tasks[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(task.state)) continue;
      applyCompletion(task, completions[i], at);
      changed.push(task);
    }
    const [refused] = await Promise.all([
      this.records.write(changed),
      this.store.release(endpointId, ids),
      // Before the final events: a repeat submitted on seeing one finds the result kept.
      this.memo?.record(changed),
    ]);
    this.events.finished(withoutIds(changed, refused));
    // The final events, on the client's critical path, are written before the endpoint's acknowledgement.
    await this.events.sent();
    return ids;
  }
}
