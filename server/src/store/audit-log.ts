import { openSync } from 'node:fs';
import type { AuditEntry } from '@funcx/protocol';
import { JournalWriter } from './journal.js';
import { forEachJsonLineBackwards } from './json-lines.js';
import type { AuditQuery, AuditRecord } from './store.js';

/** Entries an audit log without a file keeps (the newest). */
const IN_MEMORY_ENTRIES = 10_000;

/** Ids order entries: their time, then a count within this process. */
function entryIds(): (at: number) => string {
  let last = 0;
  let sequence = 0;
  return (at) => {
    sequence = at === last ? sequence + 1 : 0;
    last = at;
    return `${at}-${sequence}`;
  };
}

/** Processes append with their own clocks, so a query since a time reads on this much past the first older entry. */
const CLOCK_MARGIN_MS = 60_000;

function matches(entry: AuditEntry, query: AuditQuery): boolean {
  return (query.user === undefined || entry.user === query.user) && (query.since === undefined || entry.at >= query.since);
}

/**
 * The embedded store's audit log, `audit.jsonl`: appended to by the hub once per tick (with the journal's
 * writer) and by the hub's CLI; read from the end, so a query for the newest entries costs what it returns.
 * Without a file, the newest IN_MEMORY_ENTRIES are kept in memory.
 */
export class AuditLog {
  private readonly writer: JournalWriter | undefined;
  private readonly memory: AuditEntry[] = [];
  private readonly nextId = entryIds();

  constructor(
    private readonly file: string | undefined,
    onError: (error: Error) => void = () => undefined,
  ) {
    if (file) this.writer = new JournalWriter(openSync(file, 'a', 0o600), onError);
  }

  append(records: AuditRecord[]): Promise<void> {
    // Every line appended in one tick goes out in the same write, so the last append's promise stands for all.
    let written = Promise.resolve();
    for (const record of records) {
      const entry: AuditEntry = { id: this.nextId(record.at), ...record };
      if (this.writer) written = this.writer.append(entry);
      else this.memory.push(entry);
    }
    if (this.memory.length > IN_MEMORY_ENTRIES) this.memory.splice(0, this.memory.length - IN_MEMORY_ENTRIES);
    return written;
  }

  read(query: AuditQuery): AuditEntry[] {
    const found: AuditEntry[] = [];
    const visit = (entry: AuditEntry): boolean => {
      if (query.since !== undefined && entry.at < query.since - CLOCK_MARGIN_MS) return false;
      if (matches(entry, query)) found.push(entry);
      return found.length < query.limit;
    };
    if (this.file) forEachJsonLineBackwards<AuditEntry>(this.file, visit);
    else for (let i = this.memory.length - 1; i >= 0 && visit(this.memory[i]); i--);
    return found.reverse();
  }

  close(): Promise<void> {
    return this.writer?.close() ?? Promise.resolve();
  }
}
