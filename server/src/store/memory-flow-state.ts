import type { FlowRecord, FlowRunEvent, FlowRunRecord, FlowTriggerRecord } from '@funcx/protocol';
import type { FlowThread, NewRunEvent, RunChange } from './flow-store.js';

/** One line of the embedded store's flows file. */
export type FlowJournalEntry =
  | { k: 'flow'; v: FlowRecord }
  | { k: 'flow-'; id: string }
  | { k: 'run'; v: FlowRunRecord }
  | { k: 'thr'; r: string; v: FlowThread[] }
  | { k: 'thr-'; r: string; ids: string[] }
  | { k: 'ev'; r: string; v: NewRunEvent[] }
  | { k: 'trig'; v: FlowTriggerRecord }
  | { k: 'trig-'; id: string };

/** Finished runs kept (with their events) when the flows file is rewritten; older ones are forgotten. */
export const FINISHED_RUNS_KEPT = 50_000;

/** The flows part of the embedded store, and how each line of its file changes it. */
export class FlowState {
  readonly flows = new Map<string, FlowRecord>();
  readonly runs = new Map<string, FlowRunRecord>();
  readonly threads = new Map<string, Map<string, FlowThread>>();
  readonly events = new Map<string, FlowRunEvent[]>();
  readonly triggers = new Map<string, FlowTriggerRecord>();
  readonly active = new Set<string>();
  /** Each user's run ids in creation order (ids of forgotten runs are skipped when read). */
  readonly runsByOwner = new Map<string, string[]>();

  putRun(run: FlowRunRecord): void {
    if (!this.runs.has(run.run_id)) {
      let ids = this.runsByOwner.get(run.owner);
      if (!ids) this.runsByOwner.set(run.owner, (ids = []));
      ids.push(run.run_id);
    }
    this.runs.set(run.run_id, run);
    if (run.status === 'ACTIVE') this.active.add(run.run_id);
    else {
      this.active.delete(run.run_id);
      this.threads.delete(run.run_id);
    }
  }

  putThreads(runId: string, threads: FlowThread[]): void {
    let map = this.threads.get(runId);
    if (!map) this.threads.set(runId, (map = new Map()));
    for (const thread of threads) map.set(thread.thread_id, thread);
  }

  deleteThreads(runId: string, ids: string[]): void {
    const map = this.threads.get(runId);
    if (map) for (const id of ids) map.delete(id);
  }

  appendEvents(runId: string, events: NewRunEvent[]): void {
    let log = this.events.get(runId);
    if (!log) this.events.set(runId, (log = []));
    for (const event of events) log.push({ seq: log.length + 1, ...event } as FlowRunEvent);
  }

  /** A commit, in the order the lines of its entry say (events, threads, then the record, which may end the run). */
  applyChange(runId: string, change: RunChange): void {
    if (change.events?.length) this.appendEvents(runId, change.events);
    if (change.threads?.length) this.putThreads(runId, change.threads);
    if (change.deleteThreads?.length) this.deleteThreads(runId, change.deleteThreads);
    if (change.run) this.putRun(change.run);
  }

  apply(entry: FlowJournalEntry): void {
    switch (entry.k) {
      case 'flow': this.flows.set(entry.v.flow_id, entry.v); break;
      case 'flow-': this.flows.delete(entry.id); break;
      case 'run': this.putRun(entry.v); break;
      case 'thr': this.putThreads(entry.r, entry.v); break;
      case 'thr-': this.deleteThreads(entry.r, entry.ids); break;
      case 'ev': this.appendEvents(entry.r, entry.v); break;
      case 'trig': this.triggers.set(entry.v.trigger_id, entry.v); break;
      case 'trig-': this.triggers.delete(entry.id); break;
    }
  }

  /** The lines of one change, in the order apply expects. */
  static changeLines(runId: string, change: RunChange): FlowJournalEntry[] {
    const lines: FlowJournalEntry[] = [];
    if (change.events?.length) lines.push({ k: 'ev', r: runId, v: change.events });
    if (change.threads?.length) lines.push({ k: 'thr', r: runId, v: change.threads });
    if (change.deleteThreads?.length) lines.push({ k: 'thr-', r: runId, ids: change.deleteThreads });
    if (change.run) lines.push({ k: 'run', v: change.run });
    return lines;
  }

  /** Forgets the oldest finished runs beyond `keep` (with their events). */
  forgetOldFinished(keep: number): void {
    let excess = this.runs.size - this.active.size - keep;
    if (excess <= 0) return;
    for (const [runId, run] of this.runs) {
      if (excess === 0) break;
      if (run.status === 'ACTIVE') continue;
      this.runs.delete(runId);
      this.events.delete(runId);
      excess--;
    }
  }

  /** The lines that recreate this state. */
  *snapshot(): Generator<FlowJournalEntry> {
    for (const flow of this.flows.values()) yield { k: 'flow', v: flow };
    for (const trigger of this.triggers.values()) yield { k: 'trig', v: trigger };
    for (const [runId, run] of this.runs) {
      yield { k: 'run', v: run };
      const threads = this.threads.get(runId);
      if (threads && threads.size > 0) yield { k: 'thr', r: runId, v: [...threads.values()] };
      const events = this.events.get(runId);
      if (events && events.length > 0) yield { k: 'ev', r: runId, v: events.map(({ seq: _seq, ...event }) => event) };
    }
  }
}
