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
  state?: TaskState;
  timestamps: StateTimestamps;
  outputs: TaskOutput[];
  streamChars: Record<StreamName, number>;
  displays: number;
  final?: TaskFinalEvent;
  watchers: Set<TaskWatchHandlers>;
  /** Watchers waiting for the task's record before they see anything. */
  syncing: Set<TaskWatchHandlers>;
}

/** Keeps recent events per task so a watcher attached after submitting misses nothing. */
export class TaskTracker {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxEntries = 10_000) {}

  ingest(events: TaskEvent[]): void {
    for (const event of events) {
      const entry = this.entry(event.task_id);
      apply(entry, event);
      for (const watcher of entry.watchers) deliver(watcher, event);
      if (event.type === 'final') entry.watchers.clear();
    }
    this.evict();
  }

  /** These tasks were submitted while connected in `epoch`: every event of theirs reaches this socket. */
  expect(taskIds: string[], epoch: number): void {
    for (const id of taskIds) this.entry(id).completeInEpoch = epoch;
  }

  watch(taskId: string, handlers: TaskWatchHandlers, epoch: number, subscribe: Subscribe): () => void {
    const entry = this.entry(taskId);
    if (entry.completeInEpoch === epoch) {
      replay(entry, taskId, handlers);
      if (!entry.final) entry.watchers.add(handlers);
    } else {
      const first = entry.syncing.size === 0;
      entry.syncing.add(handlers);
      if (first) void this.sync([taskId], epoch, subscribe);
    }
    return () => {
      entry.watchers.delete(handlers);
      entry.syncing.delete(handlers);
    };
  }

  /** After a reconnect: bring watched, unfinished tasks up to date from their records. */
  resync(epoch: number, subscribe: Subscribe): void {
    const ids: string[] = [];
    for (const [id, entry] of this.entries) {
      if (entry.completeInEpoch !== epoch) entry.completeInEpoch = -1;
      if (!entry.final && (entry.watchers.size > 0 || entry.syncing.size > 0)) ids.push(id);
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
        for (const watcher of [...entry.syncing, ...entry.watchers]) watcher.onError?.(error as FuncxError);
        entry.syncing.clear();
        entry.watchers.clear();
      }
      return;
    }
    for (const record of records) {
      const entry = this.entry(record.task_id);
      if (entry.watchers.size === 0) reset(entry);
      for (const event of catchUp(entry, record)) {
        apply(entry, event);
        for (const watcher of entry.watchers) deliver(watcher, event);
      }
      entry.completeInEpoch = epoch;
      for (const watcher of entry.syncing) {
        replay(entry, record.task_id, watcher);
        if (!entry.final) entry.watchers.add(watcher);
      }
      entry.syncing.clear();
      if (entry.final) entry.watchers.clear();
    }
  }

  private entry(taskId: string): Entry {
    let entry = this.entries.get(taskId);
    if (!entry) {
      entry = {
        completeInEpoch: -1,
        timestamps: {},
        outputs: [],
        streamChars: { stdout: 0, stderr: 0 },
        displays: 0,
        watchers: new Set(),
        syncing: new Set(),
      };
      this.entries.set(taskId, entry);
    }
    return entry;
  }

  private evict(): void {
    let excess = this.entries.size - this.maxEntries;
    if (excess <= 0) return;
    for (const [id, entry] of this.entries) {
      if (excess <= 0) break;
      if (entry.watchers.size > 0 || entry.syncing.size > 0) continue;
      this.entries.delete(id);
      excess--;
    }
  }
}

function apply(entry: Entry, event: TaskEvent): void {
  if (event.type === 'output') {
    entry.outputs.push(event.output);
    if (event.output.output_type === 'stream') entry.streamChars[event.output.name] += event.output.text.length;
    else entry.displays++;
    return;
  }
  entry.state = event.state;
  entry.timestamps = { ...entry.timestamps, ...event.timestamps };
  if (event.type === 'final') entry.final = event;
}

/** Forget what `entry` has seen; the record about to be applied holds every event sent before it. */
function reset(entry: Entry): void {
  entry.state = undefined;
  entry.timestamps = {};
  entry.outputs = [];
  entry.streamChars = { stdout: 0, stderr: 0 };
  entry.displays = 0;
  entry.final = undefined;
}

function deliver(watcher: TaskWatchHandlers, event: TaskEvent): void {
  if (event.type === 'state') watcher.onState?.(event);
  else if (event.type === 'output') watcher.onOutput?.(event.output, event.task_id);
  else watcher.onFinal?.(event);
}

function replay(entry: Entry, taskId: string, watcher: TaskWatchHandlers): void {
  if (entry.state && !entry.final) {
    watcher.onState?.({ type: 'state', task_id: taskId, state: entry.state, timestamps: entry.timestamps });
  }
  for (const output of entry.outputs) watcher.onOutput?.(output, taskId);
  if (entry.final) watcher.onFinal?.(entry.final);
}

/** The events that take `entry` from what it has seen to what `record` holds. */
function catchUp(entry: Entry, record: TaskRecord): TaskEvent[] {
  const events: TaskEvent[] = [];
  const taskId = record.task_id;
  const seen: Record<StreamName, number> = { ...entry.streamChars };
  let displays = 0;
  for (const output of record.outputs) {
    if (output.output_type === 'stream') {
      const skip = Math.min(seen[output.name], output.text.length);
      seen[output.name] -= skip;
      if (skip < output.text.length) {
        events.push({ type: 'output', task_id: taskId, output: { ...output, text: output.text.slice(skip) } });
      }
    } else if (++displays > entry.displays) {
      events.push({ type: 'output', task_id: taskId, output });
    }
  }
  if (isFinalState(record.state)) {
    if (!entry.final) {
      events.push({
        type: 'final',
        task_id: taskId,
        state: record.state,
        timestamps: record.timestamps,
        result: record.result,
        error: record.error,
      });
    }
  } else if (record.state !== entry.state) {
    events.unshift({ type: 'state', task_id: taskId, state: record.state, timestamps: record.timestamps });
  }
  return events;
}
