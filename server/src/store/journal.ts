import { closeSync, writeSync } from 'node:fs';
import type { TaskRecord } from '@funcx/protocol';
import { changedTaskLine, newTaskLine, type OutputCursor } from './task-lines.js';

/**
 * Appends JSON lines to a file, at most one write per event-loop tick: everything appended during a tick is
 * written together, and a task changed several times in that tick is written once, as it is at write time.
 * The promise of an append resolves once its line is written. A record that cannot be serialised is reported
 * and left out; it never stops the writer.
 */
export class JournalWriter {
  private lines: string[] = [];
  /** Tasks changed this tick, and whether each is new (written whole) or known (only its changes). */
  private readonly dirtyTasks = new Map<string, { task: TaskRecord; isNew: boolean }>();
  /** What this journal holds of each unfinished task's outputs, so that only what is new is written. */
  private readonly cursors = new Map<string, OutputCursor>();
  private scheduled = false;
  private pending: Promise<void> | undefined;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private closed = false;
  /** Bytes (UTF-16 code units, close enough to decide when to compact) written since the file was started. */
  written = 0;

  constructor(
    private fd: number,
    private readonly onError: (error: Error) => void,
    /** Called after each write, with nothing left pending: the moment a compaction may replace the file. */
    private readonly onFlushed: () => void = () => undefined,
  ) {}

  append(entry: object): Promise<void> {
    this.lines.push(JSON.stringify(entry));
    return this.next();
  }

  /** Queues a task to be written: whole when new, else only its changes (first call in a tick decides). */
  markTask(task: TaskRecord, isNew: boolean): void {
    const dirty = this.dirtyTasks.get(task.task_id);
    if (!dirty) this.dirtyTasks.set(task.task_id, { task, isNew });
    else if (isNew) dirty.isNew = true;
  }

  /** Resolves once everything appended or marked so far is written. */
  flushed(): Promise<void> {
    return this.next();
  }

  /**
   * Continues in another file (which already holds `bytes` of header) now that a snapshot holds this one's
   * content: what the old file knew of task outputs is forgotten, so each task's next line carries them whole.
   */
  replaceFile(fd: number, bytes: number): void {
    closeSync(this.fd);
    this.fd = fd;
    this.cursors.clear();
    this.written = bytes;
  }

  async close(): Promise<void> {
    while (this.pending) await this.pending.catch(() => undefined);
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
  }

  private next(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (!this.pending) {
      this.pending = new Promise<void>((resolve, reject) => {
        this.settle = { resolve, reject };
      });
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return this.pending;
  }

  private flush(): void {
    this.scheduled = false;
    const settle = this.settle;
    this.pending = undefined;
    this.settle = undefined;
    const parts = this.lines;
    this.lines = [];
    if (parts.length > 0) parts.push('');
    let text = parts.join('\n');
    if (this.dirtyTasks.size > 0) {
      const lines: string[] = [];
      for (const { task, isNew } of this.dirtyTasks.values()) {
        try {
          lines.push(isNew ? newTaskLine(task, this.cursors) : changedTaskLine(task, this.cursors));
        } catch (error) {
          this.cursors.delete(task.task_id);
          this.onError(new Error(`task ${task.task_id} could not be written: ${(error as Error).message}`));
        }
      }
      this.dirtyTasks.clear();
      text += lines.join('');
    }
    if (text === '') {
      settle?.resolve();
      return;
    }
    // A synchronous write to the page cache costs less than a round trip through the thread pool, and the
    // journal's one write per tick is on every task's path.
    try {
      writeSync(this.fd, text);
      this.written += text.length;
      settle?.resolve();
    } catch (error) {
      this.onError(error as Error);
      settle?.reject(error as Error);
      return;
    }
    try {
      this.onFlushed();
    } catch (error) {
      this.onError(error as Error);
    }
  }
}
