import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import type { TaskRecord } from '@funcx/protocol';
import { changedTaskLine, newTaskLine } from './task-lines.js';

/**
 * Appends JSON lines to a file, at most one write per event-loop tick: everything appended during a tick is
 * written together, and a task changed several times in that tick is written once, as it is at write time.
 * The promise of an append resolves once its line is written.
 */
export class JournalWriter {
  private lines: string[] = [];
  /** Tasks changed this tick, and whether each is new (written whole) or known (only its changes). */
  private readonly dirtyTasks = new Map<string, { task: TaskRecord; isNew: boolean }>();
  private scheduled = false;
  private pending: Promise<void> | undefined;
  private settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly onError: (error: Error) => void,
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
  written(): Promise<void> {
    return this.next();
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
      for (const { task, isNew } of this.dirtyTasks.values()) lines.push(isNew ? newTaskLine(task) : changedTaskLine(task));
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
      settle?.resolve();
    } catch (error) {
      this.onError(error as Error);
      settle?.reject(error as Error);
    }
  }
}

/** Reads a JSON-lines file; a torn last line (a crash mid-write) is skipped. */
export function readJsonLines<T>(file: string, onBadLine: (lineNumber: number) => void): T[] {
  if (!existsSync(file)) return [];
  const entries: T[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as T);
    } catch {
      onBadLine(i + 1);
    }
  }
  return entries;
}
