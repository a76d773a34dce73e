import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { SESSION_LIMIT_REACHED, sessionKey, type SessionStatus } from '@funcx/protocol';
import type { DaemonTask, ManagerLink } from './manager-link.js';

/** Why a session task cannot start its session here. */
export class SessionRefusal {
  constructor(
    readonly ename: string,
    readonly evalue: string,
  ) {}
}

/** Most notes kept for sessions that are gone (each tells that session's next task why it starts afresh). */
const MAX_NOTES = 10_000;

interface LiveSession {
  owner: string;
  name: string;
  link: ManagerLink;
}

/**
 * Which manager holds each session of the endpoint (sticky: every task of a session goes there), the endpoint's
 * cap on sessions, and, for sessions that are gone (their manager was lost, the daemon restarted, they were
 * released), why, so the next task of that name is told its namespace is fresh. The sessions held are written to
 * `file` so the next daemon knows which ones its restart ended.
 */
export class DaemonSessions {
  private readonly live = new Map<string, LiveSession>();
  private readonly notes = new Map<string, string>();
  private writeQueued = false;

  /** The sessions held changed: the daemon tells the hub at once rather than at its next heartbeat. */
  onChange?: () => void;

  constructor(
    private readonly maxSessions: number,
    private readonly file?: string,
    private readonly onWriteError?: (error: Error) => void,
  ) {
    if (!file) return;
    for (const [owner, name] of readSessions(file)) this.note(sessionKey(owner, name), 'the endpoint restarted');
    this.changed();
  }

  get size(): number {
    return this.live.size;
  }

  /**
   * The manager a session task goes to: its session's, else `choose()`'s for a new session (undefined: none can
   * take one yet, the task waits), or a refusal when the endpoint holds as many sessions as it may.
   */
  place(entry: DaemonTask, choose: () => ManagerLink | undefined): ManagerLink | SessionRefusal | undefined {
    const { owner, session } = entry.task;
    const key = sessionKey(owner, session!);
    const live = this.live.get(key);
    if (live && !live.link.closed) return live.link;
    if (this.live.size >= this.maxSessions) {
      return new SessionRefusal(
        SESSION_LIMIT_REACHED,
        `session ${session} cannot start: this endpoint holds ${this.live.size} session(s), as many as its max_sessions ` +
          `(${this.maxSessions}) allows; end one you no longer need (funcx sessions end NAME --endpoint ENDPOINT), ` +
          `wait until one is released after its idle time, or ask the endpoint's owner to raise max_sessions`,
      );
    }
    const link = choose();
    if (!link) return undefined;
    this.live.set(key, { owner, name: session!, link });
    const note = this.notes.get(key);
    if (note !== undefined) {
      this.notes.delete(key);
      entry.task.session_restarted = note;
    }
    this.changed();
    return link;
  }

  /** A manager reported its sessions: the hub hears of a change at once. */
  reported(before: SessionStatus[] | undefined, after: SessionStatus[] | undefined): void {
    if (JSON.stringify(before ?? []) !== JSON.stringify(after ?? [])) this.changed();
  }

  /** The manager released a session (idle too long). */
  gone(link: ManagerLink, owner: string, name: string, reason: string): void {
    const key = sessionKey(owner, name);
    if (this.live.get(key)?.link !== link) return;
    this.live.delete(key);
    this.note(key, reason);
    this.changed();
  }

  /** A manager was lost: its sessions start afresh wherever their next tasks go. */
  lost(link: ManagerLink, reason: string): void {
    for (const [key, live] of this.live) {
      if (live.link !== link) continue;
      this.live.delete(key);
      this.note(key, `the ${link.label} that held it was lost (${reason})`);
    }
    this.changed();
  }

  /** Ends sessions at their managers; their user asked, so their next task of that name starts without a note. */
  end(sessions: { owner: string; name: string }[]): void {
    const byLink = new Map<ManagerLink, { owner: string; name: string }[]>();
    for (const session of sessions) {
      const key = sessionKey(session.owner, session.name);
      this.notes.delete(key);
      const live = this.live.get(key);
      if (!live) continue;
      this.live.delete(key);
      let list = byLink.get(live.link);
      if (!list) byLink.set(live.link, (list = []));
      list.push({ owner: session.owner, name: session.name });
    }
    for (const [link, list] of byLink) link.send({ t: 'end-sessions', sessions: list });
    if (byLink.size > 0) this.changed();
  }

  /** The sessions as the managers last reported them (a session placed since shows as starting). */
  status(links: Iterable<ManagerLink>): SessionStatus[] {
    const reported = new Map<string, SessionStatus>();
    for (const link of links) {
      for (const session of link.load.sessions ?? []) reported.set(sessionKey(session.owner, session.name), session);
    }
    const out: SessionStatus[] = [];
    for (const [key, live] of this.live) {
      out.push(reported.get(key) ?? { owner: live.owner, name: live.name, state: 'starting', tasks: 0, queued: 0, last_used: Date.now(), started: Date.now() });
    }
    return out;
  }

  private note(key: string, reason: string): void {
    this.notes.delete(key);
    this.notes.set(key, reason);
    if (this.notes.size > MAX_NOTES) this.notes.delete(this.notes.keys().next().value!);
  }

  private changed(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    setImmediate(() => {
      this.writeQueued = false;
      this.onChange?.();
      const file = this.file;
      if (!file) return;
      const held = [...this.live.values()].map((live) => [live.owner, live.name]);
      try {
        writeFileSync(`${file}.tmp`, JSON.stringify(held) + '\n', { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      } catch (error) {
        this.onWriteError?.(error as Error);
      }
    });
  }
}

/** The sessions a previous daemon held, as [owner, name] pairs; none when the file is missing or unreadable. */
function readSessions(file: string): [string, string][] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (pair): pair is [string, string] => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string',
    );
  } catch {
    return [];
  }
}
