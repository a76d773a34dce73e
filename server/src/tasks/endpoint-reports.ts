import { isFinalState, type TaskCompletion, type TaskOutput, type TaskOutputUpdate, type TaskRecord, type TaskState, type TaskStateUpdate } from '@funcx/protocol';
import type { Memo } from '../memo/memo.js';
import type { Store } from '../store/store.js';
import { now } from './clock.js';
import type { EndingTasks } from './ending-tasks.js';
import type { HeldRecords } from './held-records.js';
import { applyCompletion, movesForward } from './records.js';
import type { TaskEvents } from './task-events.js';

/** Most tasks remembered as told to this hub's clients while their result's write failed. */
const MAX_TOLD_UNWRITTEN = 10_000;

/**
 * What endpoints report of the tasks they hold: states, outputs, ends. Only an endpoint's own tasks change, and
 * clients hear of a change once it is written (a task another hub made final meanwhile changes no more), except
 * for results this hub alone may record: this hub's clients hear of those as their write leaves.
 */
export class EndpointReports {
  /** Results told to this hub's clients whose write failed: the endpoint reports them again, told once. */
  private readonly toldUnwritten = new Set<string>();
  /** By endpoint: its state and output reports being applied. A result waits for them, so its event comes last. */
  private readonly applying = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly records: HeldRecords,
    private readonly events: TaskEvents,
    private readonly ending: EndingTasks,
    private readonly memo?: Memo,
    private readonly onConflict: (taskIds: string[]) => void = () => undefined,
  ) {}

  /** State reports from an endpoint; only forward moves of its own unfinished tasks count, and a stream's start. */
  onStates(endpointId: string, updates: TaskStateUpdate[]): Promise<void> {
    return this.track(endpointId, this.applyStates(endpointId, updates));
  }

  onOutputs(endpointId: string, updates: TaskOutputUpdate[]): Promise<void> {
    return this.track(endpointId, this.applyOutputs(endpointId, updates));
  }

  private track(endpointId: string, work: Promise<void>): Promise<void> {
    const all = Promise.allSettled([this.applying.get(endpointId), work]);
    this.applying.set(endpointId, all);
    void all.then(() => {
      if (this.applying.get(endpointId) === all) this.applying.delete(endpointId);
    });
    return work;
  }

  private async applyStates(endpointId: string, updates: TaskStateUpdate[]): Promise<void> {
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
    const firstWrites = this.records.firstWritten(changed);
    if (firstWrites) await firstWrites;
    // The state each report moved to: a record may have moved on (to its end) while it was written.
    for (let i = 0; i < changed.length; i++) if (!refused.has(changed[i].task_id)) this.events.state(changed[i], states[i]);
  }

  private async applyOutputs(endpointId: string, updates: TaskOutputUpdate[]): Promise<void> {
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
    const firstWrites = this.records.firstWritten(changed);
    if (firstWrites) await firstWrites;
    for (const [task, output] of appended) if (!refused.has(task.task_id)) this.events.output(task, output);
  }

  /**
   * Final states from an endpoint; returns the ids it may forget (duplicates and late results included).
   *
   * While the endpoint is connected here no one else ends its tasks (other hubs ask this one), so once a
   * result's write has left, nothing can be written before it: clients are told at once, without waiting for
   * the store's answer. Other hubs hear of it through Redis on the connection the write left on, after it, so a
   * read through another hub finds it. A result with a memo entry waits for it, so that a repeat submitted on
   * seeing it finds it kept.
   * The endpoint is acknowledged only once the store has the results, so a write that fails is reported again.
   */
  async onDone(endpointId: string, completions: TaskCompletion[]): Promise<string[]> {
    const ids = completions.map((completion) => completion.task_id);
    // After the endpoint's reports in flight, and after the tasks' own first writes (a task sent beside its
    // write): its final event is told before its result is written, never before the task itself is.
    const earlier = this.applying.get(endpointId);
    if (earlier) await earlier;
    const firstWrites = this.records.firstWritten(completions);
    if (firstWrites) await firstWrites;
    const tasks = await this.records.read(endpointId, ids);
    const changed: TaskRecord[] = [];
    const at = now();
    for (let i = 0; i < completions.length; i++) {
      const task = tasks[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(task.state)) continue;
      applyCompletion(task, completions[i], at);
      changed.push(task);
    }
    const claimed = this.ending.claim(changed.map((task) => task.task_id));
    const early = this.records.endsAlone(endpointId)
      ? changed.filter((task) => claimed.has(task.task_id) && task.cache_key === undefined)
      : [];
    const written = Promise.all([
      this.records.write(changed),
      this.store.release(endpointId, ids),
      this.memo?.record(changed),
    ]);
    this.events.finished(early.filter((task) => !this.toldUnwritten.has(task.task_id)));
    let refused: string[];
    try {
      [refused] = await this.ending.settle(claimed, written);
    } catch (error) {
      this.rememberTold(early);
      throw error;
    }
    if (this.toldUnwritten.size > 0) for (const task of changed) this.toldUnwritten.delete(task.task_id);
    const refusedIds = new Set(refused);
    if (early.length < changed.length) {
      const toldEarly = new Set(early);
      this.events.finished(changed.filter((task) => !refusedIds.has(task.task_id) && !toldEarly.has(task)));
    }
    if (refusedIds.size > 0) {
      const conflicting = early.filter((task) => refusedIds.has(task.task_id)).map((task) => task.task_id);
      if (conflicting.length > 0) this.onConflict(conflicting);
    }
    // The final events, on the client's critical path, are written before the endpoint's acknowledgement.
    await this.events.sent();
    return ids;
  }

  private rememberTold(tasks: TaskRecord[]): void {
    for (const task of tasks) this.toldUnwritten.add(task.task_id);
    for (const id of this.toldUnwritten) {
      if (this.toldUnwritten.size <= MAX_TOLD_UNWRITTEN) break;
      this.toldUnwritten.delete(id);
    }
  }
}
