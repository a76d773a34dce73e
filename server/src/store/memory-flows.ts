import { openSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowRecord, FlowRunEvent, FlowRunRecord, FlowTriggerRecord } from '@funcx/protocol';
import { isRunAfter, matchesRunQuery, type FlowStore, type FlowThread, type NewRunEvent, type RunChange, type RunQuery, type RunRequest } from './flow-store.js';
import { JournalWriter } from './journal.js';
import { forEachJsonLine, writeJsonLinesAtomically } from './json-lines.js';
import { FINISHED_RUNS_KEPT, FlowState, type FlowJournalEntry } from './memory-flow-state.js';

export const FLOWS_FILE = 'flows.jsonl';

/** The flows file is rewritten while running once it passes this and twice what the last rewrite wrote. */
const COMPACT_FLOWS_AFTER_BYTES = 64 * 1024 * 1024;

/**
 * Flows, runs and triggers of the embedded store: in memory, persisted as lines appended to `flows.jsonl` in the
 * data dir (one write per tick), which is rewritten from the state on every start and whenever it grows large.
 * Leases live in memory only: one process uses this store, and after a restart every ACTIVE run is free to claim.
 */
export class MemoryFlowStore implements FlowStore {
  private readonly state = new FlowState();
  private readonly leases = new Map<string, { hubId: string; until: number }>();
  private readonly requests = new Map<string, RunRequest>();
  private journal: JournalWriter | undefined;
  private file: string | undefined;
  private compactedBytes = 0;

  /** Opens the flows of a data dir (none: in memory only). */
  static open(dataDir: string | undefined, onWarning: (message: string) => void = () => undefined): MemoryFlowStore {
    const store = new MemoryFlowStore();
    if (dataDir) store.load(join(dataDir, FLOWS_FILE), onWarning);
    return store;
  }

  private load(file: string, warn: (message: string) => void): void {
    this.file = file;
    forEachJsonLine<FlowJournalEntry>(file, (entry) => this.state.apply(entry), (line) => warn(`skipped a torn line ${line} in ${file}`));
    this.rewrite();
    this.journal = new JournalWriter(openSync(file, 'a', 0o600), (error) => warn(`could not write ${file}: ${error.message}`), () => this.compactIfLarge());
    this.journal.written = this.compactedBytes;
  }

  /** Writes the state aside and renames it over the file: a crash midway leaves the old file whole. */
  private rewrite(): void {
    this.state.forgetOldFinished(FINISHED_RUNS_KEPT);
    this.compactedBytes = writeJsonLinesAtomically(this.file!, this.state.snapshot());
  }

  private compactIfLarge(): void {
    const journal = this.journal;
    if (!journal || journal.written < Math.max(COMPACT_FLOWS_AFTER_BYTES, 2 * this.compactedBytes)) return;
    this.rewrite();
    journal.replaceFile(openSync(this.file!, 'a', 0o600), this.compactedBytes);
  }

  private write(lines: FlowJournalEntry[]): Promise<void> {
    if (!this.journal) return Promise.resolve();
    let written: Promise<void> = Promise.resolve();
    for (const line of lines) written = this.journal.append(line);
    return written;
  }

  async putFlow(flow: FlowRecord): Promise<void> {
    this.state.flows.set(flow.flow_id, flow);
    await this.write([{ k: 'flow', v: flow }]);
  }

  async getFlow(flowId: string): Promise<FlowRecord | undefined> {
    return this.state.flows.get(flowId);
  }

  async listFlows(): Promise<FlowRecord[]> {
    return [...this.state.flows.values()];
  }

  async deleteFlow(flowId: string): Promise<boolean> {
    if (!this.state.flows.delete(flowId)) return false;
    await this.write([{ k: 'flow-', id: flowId }]);
    return true;
  }

  async createRun(hubId: string, leaseMs: number, run: FlowRunRecord, threads: FlowThread[], events: NewRunEvent[]): Promise<void> {
    const change: RunChange = { run, threads, events };
    this.state.putRun(run);
    this.state.applyChange(run.run_id, { threads, events });
    this.leases.set(run.run_id, { hubId, until: Date.now() + leaseMs });
    await this.write(FlowState.changeLines(run.run_id, change));
  }

  async getRun(runId: string): Promise<FlowRunRecord | undefined> {
    const run = this.state.runs.get(runId);
    if (!run) return undefined;
    return this.requests.get(runId) === 'cancel' ? { ...run, cancel_requested: true } : run;
  }

  async listRuns(owner: string, query: RunQuery): Promise<FlowRunRecord[]> {
    const ids = this.state.runsByOwner.get(owner) ?? [];
    const found: FlowRunRecord[] = [];
    for (let i = ids.length - 1; i >= 0 && found.length < query.limit; i--) {
      const run = this.state.runs.get(ids[i]);
      if (run && isRunAfter(run, query.after) && matchesRunQuery(run, query)) found.push(run);
    }
    return found;
  }

  async getThreads(runId: string): Promise<FlowThread[]> {
    return [...(this.state.threads.get(runId)?.values() ?? [])];
  }

  async readRunEvents(runId: string, afterSeq: number, limit: number): Promise<FlowRunEvent[]> {
    return (this.state.events.get(runId) ?? []).slice(Math.max(0, afterSeq), Math.max(0, afterSeq) + limit);
  }

  async lastRunEventSeq(runId: string): Promise<number> {
    return this.state.events.get(runId)?.length ?? 0;
  }

  async commitRun(hubId: string, runId: string, change: RunChange): Promise<boolean> {
    if (!this.holds(hubId, runId)) return false;
    this.state.applyChange(runId, change);
    if (change.run && change.run.status !== 'ACTIVE') {
      this.leases.delete(runId);
      this.requests.delete(runId);
    }
    await this.write(FlowState.changeLines(runId, change));
    return true;
  }

  private holds(hubId: string, runId: string): boolean {
    const lease = this.leases.get(runId);
    return lease !== undefined && lease.hubId === hubId && this.state.active.has(runId);
  }

  async claimRuns(hubId: string, leaseMs: number, max: number): Promise<string[]> {
    const now = Date.now();
    const claimed: string[] = [];
    for (const runId of this.state.active) {
      if (claimed.length >= max) break;
      const lease = this.leases.get(runId);
      if (lease && lease.until > now) continue;
      this.leases.set(runId, { hubId, until: now + leaseMs });
      claimed.push(runId);
    }
    return claimed;
  }

  async renewRuns(hubId: string, runIds: string[], leaseMs: number): Promise<{ lost: string[]; requests: [string, RunRequest][] }> {
    const until = Date.now() + leaseMs;
    const lost: string[] = [];
    const requests: [string, RunRequest][] = [];
    for (const runId of runIds) {
      if (!this.holds(hubId, runId)) {
        lost.push(runId);
        continue;
      }
      this.leases.set(runId, { hubId, until });
      const request = this.requests.get(runId);
      if (request) requests.push([runId, request]);
      if (request === 'poke') this.requests.delete(runId);
    }
    return { lost, requests };
  }

  async releaseRuns(hubId: string, runIds: string[]): Promise<void> {
    for (const runId of runIds) if (this.leases.get(runId)?.hubId === hubId) this.leases.delete(runId);
  }

  async requestRun(runId: string, request: RunRequest): Promise<void> {
    if (!this.state.active.has(runId) || this.requests.get(runId) === 'cancel') return;
    this.requests.set(runId, request);
  }

  async putTrigger(trigger: FlowTriggerRecord): Promise<void> {
    this.state.triggers.set(trigger.trigger_id, trigger);
    await this.write([{ k: 'trig', v: trigger }]);
  }

  async getTrigger(triggerId: string): Promise<FlowTriggerRecord | undefined> {
    return this.state.triggers.get(triggerId);
  }

  async listTriggers(): Promise<FlowTriggerRecord[]> {
    return [...this.state.triggers.values()];
  }

  async deleteTrigger(triggerId: string): Promise<boolean> {
    if (!this.state.triggers.delete(triggerId)) return false;
    await this.write([{ k: 'trig-', id: triggerId }]);
    return true;
  }

  async fireTrigger(triggerId: string, firedAt: number, schedule?: { expectedNextAt: number; nextAt: number }): Promise<boolean> {
    const trigger = this.state.triggers.get(triggerId);
    if (!trigger || (schedule && trigger.next_fire_at !== schedule.expectedNextAt)) return false;
    const next: FlowTriggerRecord = { ...trigger, last_fired_at: firedAt };
    if (schedule) next.next_fire_at = schedule.nextAt;
    await this.putTrigger(next);
    return true;
  }

  async close(): Promise<void> {
    await this.journal?.close();
  }
}
