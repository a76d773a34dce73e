import { MAX_RESULT_BYTES, isDataReference, type FunctionRecord, type TaskRecord, type TaskSubmission } from '@funcx/protocol';
import type { HubMetrics } from '../metrics.js';
import { isMemoized, memoKey } from './memo-key.js';
import type { MemoEntry, MemoLimits, MemoStore, MemoWrite } from './memo-store.js';

/**
 * Memoization at the hub: a memoized submission whose key has a live entry is answered from it; one without
 * runs, and its result is kept under the key once it succeeds. Counts hits and misses on /metrics.
 */
export class Memo {
  constructor(
    private readonly store: MemoStore,
    private readonly metrics: HubMetrics,
    readonly limits: MemoLimits,
    private readonly onWarning: (error: unknown) => void,
    /** Epoch ms; Date.now so that tests of the TTL can move it with mock timers. */
    private readonly clock: () => number = () => Date.now(),
  ) {}

  /** The memo key of a submission, or undefined when it is not memoized. */
  keyOf(owner: string, fn: FunctionRecord, image: string | undefined, submission: TaskSubmission): string | undefined {
    return isMemoized(fn, submission) ? memoKey(owner, fn, image, submission) : undefined;
  }

  /** The live entries of these keys (undefined keys are not looked up), one store call; counts hits and misses. */
  async lookup(owner: string, keys: (string | undefined)[]): Promise<(MemoEntry | undefined)[]> {
    const asked: string[] = [];
    for (const key of keys) if (key !== undefined) asked.push(key);
    if (asked.length === 0) return keys.map(() => undefined);
    let found: (MemoEntry | undefined)[];
    try {
      found = await this.store.get(owner, asked, this.clock());
    } catch (error) {
      // The memo is an optimisation: with its store unreachable, tasks run.
      this.onWarning(error);
      found = asked.map(() => undefined);
    }
    let at = 0;
    let hits = 0;
    const entries = keys.map((key) => {
      if (key === undefined) return undefined;
      const entry = found[at++];
      if (entry) hits++;
      return entry;
    });
    this.metrics.memoLookups(hits, asked.length - hits);
    return entries;
  }

  /** Keeps the results of memoized tasks that just succeeded (never fails: a lost entry only costs a rerun). */
  async record(tasks: TaskRecord[]): Promise<void> {
    const now = this.clock();
    const writes: MemoWrite[] = [];
    for (const task of tasks) {
      if (task.cache_key === undefined || task.state !== 'success' || !task.result) continue;
      // A data reference's bytes live at its endpoint, with a lifetime of their own: the call runs again.
      if (isDataReference(task.result.value)) continue;
      const entry: MemoEntry = {
        result: task.result,
        outputs: task.outputs,
        from: { task_id: task.task_id, finished_at: task.timestamps.success ?? now },
        expires_at: now + this.limits.ttlMs,
      };
      const bytes = Buffer.byteLength(JSON.stringify(entry.result)) + Buffer.byteLength(JSON.stringify(entry.outputs));
      if (bytes > MAX_RESULT_BYTES) continue;
      writes.push({ owner: task.owner, key: task.cache_key, entry, bytes });
    }
    if (writes.length === 0) return;
    try {
      const outcome = await this.store.put(writes, now, this.limits.userBytes);
      this.metrics.memoStored(outcome.stored, outcome.evicted);
    } catch (error) {
      this.onWarning(error);
    }
  }

  /** Bytes of memoized results kept for a user now. */
  usage(owner: string): Promise<number> {
    return this.store.usage(owner, this.clock());
  }
}

/** A task answered from a memo entry: final at once, marked with the task that computed the result. */
export function cachedTask(task: TaskRecord, entry: MemoEntry, at: number): TaskRecord {
  task.state = 'success';
  delete task.timestamps['waiting-for-endpoint'];
  task.timestamps.success = at;
  task.result = entry.result;
  task.outputs = entry.outputs;
  task.cached = entry.from;
  return task;
}
