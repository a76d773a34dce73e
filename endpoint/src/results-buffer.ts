import type { TaskCompletion } from '@funcx/protocol';

/** Rough upper bound of one `tasks:done` message, well under the hub's socket message limit. */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
const MAX_CHUNK_TASKS = 2_000;

/** Where completions are kept on disk until acknowledged (results-file.ts). */
export interface CompletionLog {
  add(completion: TaskCompletion): void;
  acknowledged(taskIds: string[]): void;
}

/**
 * Completions kept until the hub acknowledges them (`tasks:done` ack). What was sent but not acknowledged is sent
 * again after a reconnect, so a completion survives a lost connection or a hub restart.
 */
export class ResultsBuffer {
  private readonly pending = new Map<string, TaskCompletion>();
  private unsent: TaskCompletion[] = [];
  private drainedWaiters: (() => void)[] = [];

  constructor(private readonly log?: CompletionLog) {}

  add(completion: TaskCompletion): void {
    this.pending.set(completion.task_id, completion);
    this.unsent.push(completion);
    this.log?.add(completion);
  }

  /** Completions a previous daemon kept on disk: sent once connected, like any other. */
  restore(completions: TaskCompletion[]): void {
    for (const completion of completions) {
      this.pending.set(completion.task_id, completion);
      this.unsent.push(completion);
    }
  }

  values(): IterableIterator<TaskCompletion> {
    return this.pending.values();
  }

  has(taskId: string): boolean {
    return this.pending.has(taskId);
  }

  get(taskId: string): TaskCompletion | undefined {
    return this.pending.get(taskId);
  }

  ids(): string[] {
    return [...this.pending.keys()];
  }

  get size(): number {
    return this.pending.size;
  }

  /** What to send now, in messages of bounded size. */
  takeUnsent(): TaskCompletion[][] {
    if (this.unsent.length === 0) return [];
    const chunks: TaskCompletion[][] = [];
    let chunk: TaskCompletion[] = [];
    let bytes = 0;
    for (const completion of this.unsent) {
      const size = estimateBytes(completion);
      if (chunk.length > 0 && (chunk.length >= MAX_CHUNK_TASKS || bytes + size > MAX_CHUNK_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
      }
      chunk.push(completion);
      bytes += size;
    }
    chunks.push(chunk);
    this.unsent = [];
    return chunks;
  }

  /** The hub recorded these; forget them. */
  acknowledged(taskIds: string[]): void {
    const known = taskIds.filter((id) => this.pending.delete(id));
    this.log?.acknowledged(known);
    if (this.pending.size === 0) {
      const waiters = this.drainedWaiters;
      this.drainedWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** These were not acknowledged (timeout, lost connection): send them again on the next flush. */
  retry(completions: TaskCompletion[]): void {
    for (const completion of completions) if (this.pending.has(completion.task_id)) this.unsent.push(completion);
  }

  /** After a reconnect: everything not acknowledged goes out again. */
  resendAll(): void {
    this.unsent = [...this.pending.values()];
  }

  /** Resolves when every completion is acknowledged, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean> {
    if (this.pending.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.drainedWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

function estimateBytes(completion: TaskCompletion): number {
  let bytes = 300;
  const result = completion.result;
  if (result) {
    if (result.pickle) bytes += result.pickle.length;
    for (const value of Object.values(result.data)) if (typeof value === 'string') bytes += value.length * 2;
  }
  if (completion.error) for (const line of completion.error.traceback) bytes += line.length;
  return bytes;
}
