import { closeSync, existsSync, fdatasync, fsyncSync, openSync, readFileSync, renameSync, write, writeSync } from 'node:fs';
import type { TaskCompletion } from '@funcx/protocol';

/** One line of the file: a completion kept, or ids the hub acknowledged. */
type Line = { d: TaskCompletion } | { a: string[] };

/**
 * A completion the hub has not acknowledged this long after it was added is written; lines are written together
 * (one write and one fdatasync) at most this often.
 */
const FLUSH_EVERY_MS = 5;
/** Acknowledgements after which the file is rewritten with only what is still pending. */
const COMPACT_AFTER_ACKS = 20_000;

/**
 * Completions the hub has not acknowledged yet, on disk in the endpoint's folder (`results.jsonl`), so that a
 * daemon killed with results in hand sends them after it restarts. Appends are batched: one write and one
 * fdatasync per few milliseconds. A completion is sent to the hub without waiting for its line to reach the
 * disk: if the daemon dies first and the hub never got it, the hub runs the task again (its lease runs out).
 * A completion the hub acknowledges before its line is written is never written (nor is its acknowledgement),
 * so a quick round trip costs no serialisation and no disk write.
 */
export class ResultsFile {
  private fd: number;
  /** Completions not written yet, by task id, in the order they came, with when (serialised only when written). */
  private unwritten = new Map<string, { completion: TaskCompletion; at: number }>();
  /** Acknowledged ids whose completion lines were already written. */
  private acks: string[] = [];
  private timer?: NodeJS.Timeout;
  private writing = false;
  /** The text of the write on its way, until it is written and synced. */
  private inFlight = '';
  private acksSinceCompaction = 0;
  private closed = false;
  private settledWaiters: (() => void)[] = [];

  private constructor(
    private readonly file: string,
    private readonly pending: () => Iterable<TaskCompletion>,
    private readonly onError: (error: Error) => void,
    private readonly now: () => number,
  ) {
    this.fd = openSync(file, 'a', 0o600);
  }

  /**
   * Reads what a previous daemon left (a torn last line, from a crash mid-write, is skipped), rewrites the file
   * with only the pending completions, and returns them with the file to append to. `pending` gives the
   * completions still unacknowledged whenever the file is compacted; `now` is the clock (ms) a completion's wait is
   * measured on.
   */
  static open(
    file: string,
    pending: () => Iterable<TaskCompletion>,
    onError: (error: Error) => void,
    now: () => number = () => performance.now(),
  ): { file: ResultsFile; kept: TaskCompletion[] } {
    const kept = new Map<string, TaskCompletion>();
    if (existsSync(file)) {
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          continue;
        }
        if ('d' in line) kept.set(line.d.task_id, line.d);
        else for (const id of line.a) kept.delete(id);
      }
    }
    rewrite(file, kept.values());
    return { file: new ResultsFile(file, pending, onError, now), kept: [...kept.values()] };
  }

  add(completion: TaskCompletion): void {
    if (this.closed) return;
    this.unwritten.delete(completion.task_id);
    this.unwritten.set(completion.task_id, { completion, at: this.now() });
    this.schedule();
  }

  acknowledged(taskIds: string[]): void {
    if (this.closed) return;
    const unwritten = this.unwritten;
    let written = 0;
    for (const id of taskIds) {
      if (!unwritten.delete(id)) {
        this.acks.push(id);
        written++;
      }
    }
    if (written === 0) return;
    this.acksSinceCompaction += written;
    this.schedule();
  }

  /**
   * Writes what is waiting, synchronously, and closes the file. A write on its way is written again first: it
   * may not reach the descriptor before it is closed, and lines written twice read back the same.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const text = (this.writing ? this.inFlight : '') + this.takeText(Infinity);
    if (text) {
      writeSync(this.fd, text);
      fsyncSync(this.fd);
    }
    closeSync(this.fd);
    this.notifyIfSettled();
  }

  /** Resolves once every line added so far is written and synced (or the file is closed). */
  settled(): Promise<void> {
    if (this.closed || (!this.waiting && !this.writing)) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private notifyIfSettled(): void {
    if (!this.closed && (this.waiting || this.writing)) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private get waiting(): boolean {
    return this.unwritten.size > 0 || this.acks.length > 0;
  }

  /** When the oldest completion waiting is due (FLUSH_EVERY_MS after it came), or now for acknowledgements alone. */
  private schedule(): void {
    if (this.timer || this.writing) return;
    const oldest = this.unwritten.values().next().value;
    const delay = oldest ? Math.max(0, oldest.at + FLUSH_EVERY_MS - this.now()) : FLUSH_EVERY_MS;
    this.timer = setTimeout(() => this.flush(), delay);
  }

  /**
   * The lines due, acknowledgements first: a task that completes again after its acknowledgement (the hub sent it
   * again) then stays pending in the file. Completions added after `addedBy` wait for a later write: most are
   * acknowledged first, and then never written.
   */
  private takeText(addedBy: number): string {
    let text = this.acks.length > 0 ? JSON.stringify({ a: this.acks }) + '\n' : '';
    this.acks = [];
    for (const [id, { completion, at }] of this.unwritten) {
      if (at > addedBy) break;
      text += JSON.stringify({ d: completion }) + '\n';
      this.unwritten.delete(id);
    }
    return text;
  }

  private flush(): void {
    this.timer = undefined;
    if (this.closed || !this.waiting) return;
    if (this.acksSinceCompaction >= COMPACT_AFTER_ACKS) {
      this.compact();
      this.notifyIfSettled();
      return;
    }
    const text = this.takeText(this.now() - FLUSH_EVERY_MS);
    if (text === '') {
      this.schedule();
      return;
    }
    this.writing = true;
    this.inFlight = text;
    const fd = this.fd;
    write(fd, text, null, 'utf8', (error) => {
      const done = (syncError: Error | null) => {
        this.writing = false;
        this.inFlight = '';
        // Closed meanwhile: close() wrote this text and the rest again, synced, and the descriptor is gone.
        if (!this.closed && (error ?? syncError)) this.onError((error ?? syncError)!);
        if (this.waiting && !this.closed) this.schedule();
        this.notifyIfSettled();
      };
      if (error || this.closed) done(null);
      else fdatasync(fd, done);
    });
  }

  /** Rewrites the file with only the completions still pending (the lines waiting are already reflected). */
  private compact(): void {
    this.acks = [];
    this.unwritten = new Map();
    this.acksSinceCompaction = 0;
    try {
      closeSync(this.fd);
      rewrite(this.file, this.pending());
      this.fd = openSync(this.file, 'a', 0o600);
    } catch (error) {
      this.onError(error as Error);
    }
  }
}

function rewrite(file: string, completions: Iterable<TaskCompletion>): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    let chunk = '';
    for (const completion of completions) {
      chunk += JSON.stringify({ d: completion }) + '\n';
      if (chunk.length > 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
