import { isFinalState, type TaskRecord } from '@funcx/protocol';
import type { Store } from '../store/store.js';

/**
 * The records of tasks held by endpoints connected to this hub, as the endpoints' reports read and write them.
 * Callers change the records they read and then write them back; events about a change go out only once the
 * write is accepted.
 */
export interface HeldRecords {
  /** The records of these tasks of this endpoint, in order (undefined where unknown). */
  read(endpointId: string, taskIds: string[]): Promise<(TaskRecord | undefined)[]>;
  /** Writes records back (Store.putTasks); returns the ids refused because the store has them final already. */
  write(tasks: TaskRecord[]): Promise<string[]>;
  /** Records just written to the queue of an endpoint connected here. */
  queued(endpointId: string, tasks: TaskRecord[]): void;
  /** Up to `max` of those queued and not yet taken, oldest first: the take need not read their records. */
  queuedIds(endpointId: string, max: number): string[];
  /** Records just sent to a connected endpoint. */
  sent(tasks: TaskRecord[]): void;
  /**
   * Records sent to a connected endpoint while their first write is on its way (Store.holdInFlight). If that
   * write fails they are forgotten (a report of them then finds no task).
   */
  sentUnwritten(tasks: TaskRecord[], written: Promise<unknown>): void;
  /**
   * Settles once the first writes of these tasks still on their way have been answered (undefined when none
   * is): clients hear of a task only after that.
   */
  firstWritten(tasks: Iterable<{ task_id: string }>): Promise<unknown> | undefined;
  /**
   * Whether this hub alone may end this endpoint's tasks now: the store is its own, or the endpoint is connected
   * here (other hubs ask the hub an endpoint is connected to to cancel its tasks).
   */
  endsAlone(endpointId: string): boolean;
  /** The endpoint connected to this hub, or left it. */
  connected(endpointId: string): void;
  disconnected(endpointId: string): void;
}

/** The embedded store's records are the live ones already: nothing is kept beside them. */
export class StoreRecords implements HeldRecords {
  constructor(private readonly store: Store) {}

  read(_endpointId: string, taskIds: string[]): Promise<(TaskRecord | undefined)[]> {
    return this.store.getTasks(taskIds);
  }

  write(tasks: TaskRecord[]): Promise<string[]> {
    return this.store.putTasks(tasks);
  }

  queued(): void {}
  queuedIds(): string[] {
    return [];
  }
  sent(): void {}
  sentUnwritten(): void {}
  firstWritten(): undefined {
    return undefined;
  }
  endsAlone(): boolean {
    return true;
  }
  connected(): void {}
  disconnected(): void {}
}

/** Most records kept; past it, reports read from the store. */
const MAX_KEPT = 100_000;

/**
 * A shared store (Redis) is a round trip away, and only the hub an endpoint is connected to changes the records
 * of the tasks it holds (another hub may only make one final: a cancel, a lease that ran out). So that hub keeps
 * the records it sent or wrote until they are final and answers the endpoint's reports from them. A record
 * another hub made final meanwhile is refused by the store on the next write, and dropped here; what it kept of
 * an endpoint is dropped when the endpoint connects or leaves.
 */
export class HotRecords implements HeldRecords {
  private readonly records = new Map<string, TaskRecord>();
  private readonly endpoints = new Set<string>();
  /** By endpoint: ids queued by this hub whose records are kept, in the order they were queued. */
  private readonly waiting = new Map<string, Set<string>>();
  /** Ids sent before their first write was answered, with that write. */
  private readonly unwritten = new Map<string, Promise<unknown>>();

  constructor(private readonly store: Store) {}

  async read(endpointId: string, taskIds: string[]): Promise<(TaskRecord | undefined)[]> {
    const found = taskIds.map((id) => this.records.get(id));
    const missing: string[] = [];
    for (let i = 0; i < taskIds.length; i++) if (!found[i]) missing.push(taskIds[i]);
    if (missing.length === 0) return found;
    const read = await this.store.getTasks(missing);
    let next = 0;
    for (let i = 0; i < taskIds.length; i++) {
      if (found[i]) continue;
      const task = read[next++];
      found[i] = task;
      if (task && task.endpoint_id === endpointId) this.keep(task);
    }
    return found;
  }

  async write(tasks: TaskRecord[]): Promise<string[]> {
    let refused: string[];
    try {
      refused = await this.store.putTasks(tasks);
    } catch (error) {
      // What the caller changed in them was not written: read them again next time.
      for (const task of tasks) this.records.delete(task.task_id);
      throw error;
    }
    const stale = new Set(refused);
    for (const task of tasks) {
      if (stale.has(task.task_id) || isFinalState(task.state)) this.records.delete(task.task_id);
      else if (this.records.get(task.task_id) !== task) this.keep(task);
    }
    return refused;
  }

  queued(endpointId: string, tasks: TaskRecord[]): void {
    let waiting = this.waiting.get(endpointId);
    for (const task of tasks) {
      if (!this.keep(task)) continue;
      if (!waiting) this.waiting.set(endpointId, (waiting = new Set()));
      waiting.add(task.task_id);
    }
  }

  queuedIds(endpointId: string, max: number): string[] {
    const waiting = this.waiting.get(endpointId);
    if (!waiting) return [];
    // Taken now (by this take or, if it finds others first, by a later one): either way no longer waiting here.
    const ids: string[] = [];
    for (const id of waiting) {
      if (ids.length === max) break;
      waiting.delete(id);
      if (this.records.has(id)) ids.push(id);
    }
    if (waiting.size === 0) this.waiting.delete(endpointId);
    return ids;
  }

  sent(tasks: TaskRecord[]): void {
    for (const task of tasks) this.keep(task);
  }

  sentUnwritten(tasks: TaskRecord[], written: Promise<unknown>): void {
    for (const task of tasks) if (this.keep(task)) this.unwritten.set(task.task_id, written);
    const settle = (failed: boolean) => {
      for (const task of tasks) {
        if (this.unwritten.get(task.task_id) !== written) continue;
        this.unwritten.delete(task.task_id);
        if (failed) this.records.delete(task.task_id);
      }
    };
    written.then(() => settle(false), () => settle(true));
  }

  firstWritten(tasks: Iterable<{ task_id: string }>): Promise<unknown> | undefined {
    if (this.unwritten.size === 0) return undefined;
    let writes: Set<Promise<unknown>> | undefined;
    for (const task of tasks) {
      const written = this.unwritten.get(task.task_id);
      if (written) (writes ??= new Set()).add(written);
    }
    return writes && Promise.allSettled(writes);
  }

  endsAlone(endpointId: string): boolean {
    return this.endpoints.has(endpointId);
  }

  connected(endpointId: string): void {
    this.dropEndpoint(endpointId);
    this.endpoints.add(endpointId);
  }

  disconnected(endpointId: string): void {
    this.endpoints.delete(endpointId);
    this.dropEndpoint(endpointId);
  }

  /** Keeps the record if it is of a connected endpoint, not final, and there is room; true when kept. */
  private keep(task: TaskRecord): boolean {
    if (!this.endpoints.has(task.endpoint_id) || isFinalState(task.state)) return false;
    if (this.records.size >= MAX_KEPT && !this.records.has(task.task_id)) return false;
    this.records.set(task.task_id, task);
    return true;
  }

  private dropEndpoint(endpointId: string): void {
    this.waiting.delete(endpointId);
    for (const [id, task] of this.records) if (task.endpoint_id === endpointId) this.records.delete(id);
  }
}
