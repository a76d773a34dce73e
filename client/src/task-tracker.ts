import type {
  FuncxError,
  StateTimestamps,
  StreamName,
  TaskEvent,
  TaskOutput,
  TaskRecord,
  TaskState,
} from '@funcx/protocol';
import { isFinalState } from '@funcx/protocol';

export type TaskStateEvent = Extract<TaskEvent, { type: 'state' }>;
export type TaskOutputEvent = Extract<TaskEvent, { type: 'output' }>;
export type TaskFinalEvent = Extract<TaskEvent, { type: 'final' }>;

/** Callbacks of `HubClient.watchTask`; what already happened is replayed first. */
export interface TaskWatchHandlers {
  onState?(event: TaskStateEvent): void;
  onOutput?(output: TaskOutput, taskId: string): void;
  onFinal?(event: TaskFinalEvent): void;
  /** The task could not be watched (unknown task, another user's task, lost connection). */
  onError?(error: FuncxError): void;
}

type Subscribe = (taskIds: string[]) => Promise<TaskRecord[]>;

interface Entry {
  /** Connection epoch during which every event of the task was seen; -1 when some may have been missed. */
  completeInEpoch: number;
  /** The task's events as they arrived (kept as received: this runs for every event of every task). */
  events: TaskEvent[];
  final?: TaskFinalEvent;
  watchers?: Set<TaskWatchHandlers>;
  /** Watchers waiting for the task's record before they see anything. */
  syncing?: Set<TaskWatchHandlers>;
}

/** Keeps recent events per task so a watcher attached after submitting misses nothing. */
export class TaskTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  ingest(events: TaskEvent[]): void {
    for (const event of events) {
      const entry = this.entry(event.task_id);
      entry.events.push(event);
      if (event.type === 'final') entry.final = event;
      if (entry.watchers) {
        for (const watcher of entry.watchers) deliver(watcher, event);
        if (entry.final) entry.watchers = undefined;
      }
    }
    if (this.entries.size > this.maxEntries) this.evict();
  }

  /** These tasks were submitted while connected in `epoch`: every event of theirs reaches this socket. */
  expect(taskIds: string[], epoch: number): void {
    for (const id of taskIds) this.entry(id).completeInEpoch = epoch;
  }

  watch(taskId: string, handlers: TaskWatchHandlers, epoch: number, subscribe: Subscribe): () => void {
    const entry = this.entry(taskId);
    if (entry.completeInEpoch === epoch) {
      replay(entry, handlers);
      if (!entry.final) (entry.watchers ??= new Set()).add(handlers);
    } else {
      const first = !entry.syncing?.size;
      (entry.syncing ??= new Set()).add(handlers);
      if (first) void this.sync([taskId], epoch, subscribe);
    }
    return () => {
      entry.watchers?.delete(handlers);
      entry.syncing?.delete(handlers);
    };
  }

  /** After a reconnect: bring watched, unfinished tasks up to date from their records. */
  resync(epoch: number, subscribe: Subscribe): void {
    const ids: string[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.completeInEpoch !== epoch) entry.completeInEpoch = -1;
      if (!entry.final && (entry.watchers?.size || entry.syncing?.size)) ids.push(id);
    }
    if (ids.length > 0) void this.sync(ids, epoch, subscribe);
  }

  private async sync(taskIds: string[], epoch: number, subscribe: Subscribe): Promise<void> {
    let records: TaskRecord[];
    try {
      records = await subscribe(taskIds);
    } catch (error) {
      for (const id of taskIds) {
        const entry = this.entries.get(id);
        if (!entry) continue;
        for (const watcher of [...(entry.syncing ?? []), ...(entry.watchers ?? [])]) watcher.onError?.(error as FuncxError);
        entry.syncing = entry.watchers = undefined;
      }
      return;
    }
    for (const record of records) {
      const entry = this.entry(record.task_id);
      // Without live watchers, the record replaces what was seen: it holds every event sent before it.
      if (!entry.watchers?.size) {
        entry.events = [];
        entry.final = undefined;
      }
      for (const event of catchUp(entry, record)) {
        entry.events.push(event);
        if (event.type === 'final') entry.final = event;
        for (const watcher of entry.watchers ?? []) deliver(watcher, event);
      }
      entry.completeInEpoch = epoch;
      for (const watcher of entry.syncing ?? []) {
        replay(entry, watcher);
        if (!entry.final) (entry.watchers ??= new Set()).add(watcher);
      }
      entry.syncing = undefined;
      if (entry.final) entry.watchers = undefined;
    }
  }

  private entry(taskId: string): Entry {
    let entry = this.entries.get(taskId);
    if (!entry) {
      entry = { completeInEpoch: -1, events: [] };
      this.entries.set(taskId, entry);
    }
    return entry;
  }

  private evict(): void {
    let excess = this.entries.size - this.maxEntries;
    for (const [id, entry] of this.entries) {
      if (excess <= 0) break;
      if (entry.watchers?.size || entry.syncing?.size) continue;
      this.entries.delete(id);
      excess--;
    }
  }
}

function deliver(watcher: TaskWatchHandlers, event: TaskEvent): void {
  if (event.type === 'state') watcher.onState?.(event);
  else if (event.type === 'output') watcher.onOutput?.(event.output, event.task_id);
  else watcher.onFinal?.(event);
}

/** What the task did so far, to a watcher that just arrived: its current state, its outputs, its end. */
function replay(entry: Entry, watcher: TaskWatchHandlers): void {
  let state: TaskStateEvent | undefined;
  let timestamps: StateTimestamps = {};
  for (const event of entry.events) {
    if (event.type !== 'state') continue;
    state = event;
    timestamps = { ...timestamps, ...event.timestamps };
  }
  if (state && !entry.final) watcher.onState?.({ ...state, timestamps });
  for (const event of entry.events) if (event.type === 'output') watcher.onOutput?.(event.output, event.task_id);
  if (entry.final) watcher.onFinal?.(entry.final);
}

/** The events that take `entry` from what it has seen to what `record` holds. */
function catchUp(entry: Entry, record: TaskRecord): TaskEvent[] {
  const seen: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  let seenDisplays = 0;
  let seenState: TaskState | undefined;
  let seenStreams = false;
  for (const event of entry.events) {
    if (event.type === 'state') {
      seenState = event.state;
      seenStreams ||= event.streams === true;
    } else if (event.type === 'output') {
      if (event.output.output_type === 'stream') seen[event.output.name] += event.output.text.length;
      else seenDisplays++;
    }
  }
  const events: TaskEvent[] = [];
  const taskId = record.task_id;
  let displays = 0;
  for (const output of record.outputs) {
    if (output.output_type === 'stream') {
      const skip = Math.min(seen[output.name], output.text.length);
      seen[output.name] -= skip;
      if (skip < output.text.length) {
        events.push({ type: 'output', task_id: taskId, output: { ...output, text: output.text.slice(skip) } });
      }
    } else if (++displays > seenDisplays) {
      events.push({ type: 'output', task_id: taskId, output });
    }
  }
  if (isFinalState(record.state)) {
    if (!entry.final) {
      const final: TaskFinalEvent = {
        type: 'final',
        task_id: taskId,
        state: record.state,
        timestamps: record.timestamps,
        result: record.result,
        error: record.error,
      };
      if (record.streams) final.streams = true;
      events.push(final);
    }
  } else if (record.state !== seenState || (record.streams && !seenStreams)) {
    const state: TaskStateEvent = { type: 'state', task_id: taskId, state: record.state, timestamps: record.timestamps };
    if (record.streams) state.streams = true;
    events.unshift(state);
  }
  return events;
}
