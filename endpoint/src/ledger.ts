import { closeSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { recoverFromCrash, type LedgerState, type Recovery } from './crash-recovery.js';

/** Where a manager notes which tasks it holds and which are at workers, so a crash can be told apart from a task. */
export interface TaskLedger {
  /** How many daemons died while this task was at a worker (0: not under suspicion). */
  crashes(taskId: string): number;
  queued(taskId: string): void;
  atWorker(taskId: string): void;
  ended(taskId: string): void;
  /** Writes what was noted since the last write; called right before requests reach workers. */
  flush(): void;
}

export const NO_LEDGER: TaskLedger = {
  crashes: () => 0,
  queued: () => {},
  atWorker: () => {},
  ended: () => {},
  flush: () => {},
};

/** A suspect that does not come back within a day is forgotten. */
const SUSPECT_TTL_MS = 24 * 3600 * 1000;
/**
 * The file is rewritten from what is current once this much was appended to it, and at least four times what the
 * last rewrite wrote: rewriting costs what is held, so with many tasks held it must come as much less often.
 */
const COMPACT_AFTER_BYTES = 8 * 1024 * 1024;
const COMPACT_AFTER_HELD = 4;

interface Suspect {
  crashes: number;
  since: number;
}

/**
 * The ledger in a file of the endpoint's folder: one line per change (`q ID` held, `w ID` at a worker, `e ID`
 * ended, `s ID CRASHES SINCE` under suspicion), appended at most once per turn of the event loop and always
 * before the requests that put tasks at workers are written, so whatever kills the daemon finds itself noted.
 */
export class FileLedger implements TaskLedger {
  /** Every task held, and whether it is at a worker: one map, so each note costs one lookup. */
  private readonly held = new Map<string, boolean>();
  private readonly suspects = new Map<string, Suspect>();
  private pending = '';
  private flushQueued = false;
  private appended = 0;
  private compactAfter = COMPACT_AFTER_BYTES;
  private fd: number | undefined;

  private constructor(
    private readonly path: string,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Reads what the previous daemon left (a crash if it held tasks) and starts a fresh file with the suspects. */
  static open(path: string, onError: (error: Error) => void): { ledger: FileLedger; recovery?: Recovery } {
    const ledger = new FileLedger(path, onError);
    const state = readState(path);
    let recovery: Recovery | undefined;
    const now = Date.now();
    if (state.queued.size > 0 || state.atWorkers.size > 0) recovery = recoverFromCrash(state);
    for (const [id, crashes] of recovery?.suspects ?? state.suspects) ledger.suspects.set(id, { crashes, since: now });
    ledger.rewrite();
    return { ledger, recovery };
  }

  crashes(taskId: string): number {
    return this.suspects.get(taskId)?.crashes ?? 0;
  }

  queued(taskId: string): void {
    this.held.set(taskId, false);
    this.note(`q ${taskId}\n`);
  }

  atWorker(taskId: string): void {
    this.held.set(taskId, true);
    this.note(`w ${taskId}\n`);
  }

  ended(taskId: string): void {
    this.held.delete(taskId);
    if (this.suspects.size > 0) this.suspects.delete(taskId);
    this.note(`e ${taskId}\n`);
  }

  private note(line: string): void {
    this.pending += line;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // One turn later than what else this turn scheduled: a dispatch flushes its tasks' notes itself, with
      // theirs, in one write, and a completion reaches the hub before its note is written.
      setImmediate(() => setImmediate(() => this.flush()));
    }
  }

  flush(): void {
    this.flushQueued = false;
    if (!this.pending || this.fd === undefined) return;
    const data = this.pending;
    this.pending = '';
    try {
      writeSync(this.fd, data);
      this.appended += data.length;
      if (this.appended > this.compactAfter) this.rewrite();
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** After a clean stop nothing was lost: only the suspects are kept. */
  close(): void {
    this.held.clear();
    this.pending = '';
    this.rewrite();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private rewrite(): void {
    let text = '';
    for (const [id, suspect] of this.suspects) text += `s ${id} ${suspect.crashes} ${suspect.since}\n`;
    for (const [id, atWorker] of this.held) text += atWorker ? `w ${id}\n` : `q ${id}\n`;
    try {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      writeFileSync(`${this.path}.new`, text, { mode: 0o600 });
      renameSync(`${this.path}.new`, this.path);
      this.fd = openSync(this.path, 'a');
      this.appended = 0;
      this.compactAfter = Math.max(COMPACT_AFTER_BYTES, COMPACT_AFTER_HELD * text.length);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.onError(error);
  }
}

function readState(path: string): LedgerState {
  const state: LedgerState = { queued: new Set(), atWorkers: new Set(), suspects: new Map() };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return state;
  }
  const oldest = Date.now() - SUSPECT_TTL_MS;
  for (const line of text.split('\n')) {
    const [kind, id, crashes, since] = line.split(' ');
    if (!id) continue;
    if (kind === 'q') {
      state.queued.add(id);
      state.atWorkers.delete(id);
    } else if (kind === 'w') {
      state.atWorkers.add(id);
    } else if (kind === 'e') {
      state.queued.delete(id);
      state.atWorkers.delete(id);
      state.suspects.delete(id);
    } else if (kind === 's' && Number(since) >= oldest && Number(crashes) > 0) {
      state.suspects.set(id, Number(crashes));
    }
  }
  return state;
}
