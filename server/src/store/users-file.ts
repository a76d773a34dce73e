import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { JournalEntry } from './memory-state.js';

/**
 * `users.jsonl`: users and their tokens, appended to by the hub and by `funcx-hub users add` (even while the
 * hub runs: each append is one small write, and the hub reads what was added since it last looked).
 */
export class UsersFile {
  private offset = 0;

  constructor(
    private readonly file: string,
    private readonly onBadLine: (lineNumber: number) => void = () => undefined,
  ) {}

  append(entries: JournalEntry[]): void {
    appendFileSync(this.file, entries.map((entry) => JSON.stringify(entry) + '\n').join(''), { mode: 0o600 });
  }

  /** The entries added since the last read (all of them on the first read). */
  readNew(): JournalEntry[] {
    if (!existsSync(this.file)) return [];
    const size = statSync(this.file).size;
    if (size <= this.offset) return [];
    const buffer = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.offset);
    } finally {
      closeSync(fd);
    }
    const text = buffer.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    this.offset += Buffer.byteLength(text.slice(0, end));
    const entries: JournalEntry[] = [];
    const lines = text.slice(0, end).split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      try {
        entries.push(JSON.parse(lines[i]) as JournalEntry);
      } catch {
        this.onBadLine(i + 1);
      }
    }
    return entries;
  }
}
