import type { RedisClientType } from 'redis';
import type { FlowRecord, FlowRunEvent, FlowRunRecord, FlowTriggerRecord } from '@funcx/protocol';
import { isRunAfter, matchesRunQuery, type FlowStore, type FlowThread, type NewRunEvent, type RunChange, type RunQuery, type RunRequest } from './flow-store.js';
import type { ScriptRunner } from './redis-client.js';
import { CLAIM_RUNS, COMMIT_RUN, CREATE_RUN, FIRE_TRIGGER, RELEASE_RUNS, RENEW_RUNS, REQUEST_RUN } from './redis-flow-scripts.js';

/** Names of the flow keys, under the store's prefix. */
class FlowKeys {
  readonly flows: string;
  readonly triggers: string;
  /** Hash of trigger id to its next fire time, and to its last (kept apart so that firing never rewrites the record). */
  readonly triggerNext: string;
  readonly triggerFired: string;
  /** Sorted set of ACTIVE run ids by when their lease runs out, and who holds each. */
  readonly leases: string;
  readonly holders: string;
  readonly requests: string;

  constructor(readonly prefix: string) {
    this.flows = `${prefix}flows`;
    this.triggers = `${prefix}flow-triggers`;
    this.triggerNext = `${prefix}flow-trigger-next`;
    this.triggerFired = `${prefix}flow-trigger-fired`;
    this.leases = `${prefix}flow-leases`;
    this.holders = `${prefix}flow-holders`;
    this.requests = `${prefix}flow-requests`;
  }

  run(runId: string): string {
    return `${this.prefix}flow-run:${runId}`;
  }

  threads(runId: string): string {
    return `${this.prefix}flow-threads:${runId}`;
  }

  /** A list: an event's seq is its position from 1. */
  events(runId: string): string {
    return `${this.prefix}flow-events:${runId}`;
  }

  runsOf(owner: string): string {
    return `${this.prefix}flow-runs-of:${owner}`;
  }
}

/**
 * Flows on Redis, shared by every hub of a deployment: each call is one round trip (a script, a MULTI or a
 * pipeline). A finished run and its events expire after the result retention, like finished tasks.
 */
export class RedisFlowStore implements FlowStore {
  private readonly keys: FlowKeys;

  constructor(
    private readonly client: RedisClientType,
    private readonly scripts: ScriptRunner,
    prefix: string,
    private readonly retentionMs: number,
  ) {
    this.keys = new FlowKeys(prefix);
  }

  async putFlow(flow: FlowRecord): Promise<void> {
    await this.client.hSet(this.keys.flows, flow.flow_id, JSON.stringify(flow));
  }

  async getFlow(flowId: string): Promise<FlowRecord | undefined> {
    return parse<FlowRecord>(await this.client.hGet(this.keys.flows, flowId));
  }

  async listFlows(): Promise<FlowRecord[]> {
    return Object.values(await this.client.hGetAll(this.keys.flows)).map((json) => JSON.parse(json) as FlowRecord);
  }

  async deleteFlow(flowId: string): Promise<boolean> {
    return (await this.client.hDel(this.keys.flows, flowId)) > 0;
  }

  async createRun(hubId: string, leaseMs: number, run: FlowRunRecord, threads: FlowThread[], events: NewRunEvent[]): Promise<void> {
    const keys = [this.keys.run(run.run_id), this.keys.threads(run.run_id), this.keys.events(run.run_id), this.keys.runsOf(run.owner), this.keys.leases, this.keys.holders];
    const args = [run.run_id, hubId, String(leaseMs), String(run.created_at), JSON.stringify(run), String(threads.length)];
    for (const thread of threads) args.push(thread.thread_id, JSON.stringify(thread));
    for (const event of events) args.push(JSON.stringify(event));
    await this.scripts.run(CREATE_RUN, keys, args);
  }

  async getRun(runId: string): Promise<FlowRunRecord | undefined> {
    const [json, request] = (await this.client.multi().get(this.keys.run(runId)).hGet(this.keys.requests, runId).exec()) as unknown as [string | null, string | null];
    const run = parse<FlowRunRecord>(json);
    if (run && request === 'cancel' && run.status === 'ACTIVE') run.cancel_requested = true;
    return run;
  }

  async listRuns(owner: string, query: RunQuery): Promise<FlowRunRecord[]> {
    const index = this.keys.runsOf(owner);
    const found: FlowRunRecord[] = [];
    const chunk = Math.max(100, query.limit * 2);
    const max = query.after ? String(query.after.created) : '+inf';
    let skip = 0;
    for (;;) {
      const ids = await this.client.zRange(index, max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: skip, count: chunk } });
      if (ids.length === 0) return found;
      const records = ids.length === 0 ? [] : await this.client.mGet(ids.map((id) => this.keys.run(id)));
      const expired: string[] = [];
      for (let i = 0; i < ids.length && found.length < query.limit; i++) {
        const run = parse<FlowRunRecord>(records[i]);
        if (!run) expired.push(ids[i]);
        else if (isRunAfter(run, query.after) && matchesRunQuery(run, query)) found.push(run);
      }
      // Runs past their retention leave their ids in the index; they go when found.
      if (expired.length > 0) await this.client.zRem(index, expired);
      if (found.length === query.limit || ids.length < chunk) return found;
      skip += ids.length - expired.length;
    }
  }

  async getThreads(runId: string): Promise<FlowThread[]> {
    return Object.values(await this.client.hGetAll(this.keys.threads(runId))).map((json) => JSON.parse(json) as FlowThread);
  }

  async readRunEvents(runId: string, afterSeq: number, limit: number): Promise<FlowRunEvent[]> {
    if (limit <= 0) return [];
    const start = Math.max(0, afterSeq);
    const lines = await this.client.lRange(this.keys.events(runId), start, start + limit - 1);
    return lines.map((json, i) => ({ seq: start + i + 1, ...(JSON.parse(json) as NewRunEvent) }) as FlowRunEvent);
  }

  lastRunEventSeq(runId: string): Promise<number> {
    return this.client.lLen(this.keys.events(runId));
  }

  async commitRun(hubId: string, runId: string, change: RunChange): Promise<boolean> {
    const keys = [this.keys.run(runId), this.keys.threads(runId), this.keys.events(runId), this.keys.leases, this.keys.holders, this.keys.requests];
    const final = change.run !== undefined && change.run.status !== 'ACTIVE';
    const threads = change.threads ?? [];
    const removed = change.deleteThreads ?? [];
    const args = [runId, hubId, change.run ? JSON.stringify(change.run) : '', final ? '1' : '0', String(this.retentionMs), String(threads.length)];
    for (const thread of threads) args.push(thread.thread_id, JSON.stringify(thread));
    args.push(String(removed.length), ...removed);
    for (const event of change.events ?? []) args.push(JSON.stringify(event));
    return (await this.scripts.run(COMMIT_RUN, keys, args)) === 1;
  }

  async claimRuns(hubId: string, leaseMs: number, max: number): Promise<string[]> {
    return (await this.scripts.run(CLAIM_RUNS, [this.keys.leases, this.keys.holders], [hubId, String(leaseMs), String(max)])) as string[];
  }

  async renewRuns(hubId: string, runIds: string[], leaseMs: number): Promise<{ lost: string[]; requests: [string, RunRequest][] }> {
    if (runIds.length === 0) return { lost: [], requests: [] };
    const [lost, flat] = (await this.scripts.run(RENEW_RUNS, [this.keys.leases, this.keys.holders, this.keys.requests], [hubId, String(leaseMs), ...runIds])) as [string[], string[]];
    const requests: [string, RunRequest][] = [];
    for (let i = 0; i < flat.length; i += 2) requests.push([flat[i], flat[i + 1] as RunRequest]);
    return { lost, requests };
  }

  async releaseRuns(hubId: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.scripts.run(RELEASE_RUNS, [this.keys.leases, this.keys.holders], [hubId, ...runIds]);
  }

  async requestRun(runId: string, request: RunRequest): Promise<void> {
    await this.scripts.run(REQUEST_RUN, [this.keys.leases, this.keys.requests], [runId, request]);
  }

  async putTrigger(trigger: FlowTriggerRecord): Promise<void> {
    const { next_fire_at: next, last_fired_at: fired, ...record } = trigger;
    const multi = this.client.multi().hSet(this.keys.triggers, trigger.trigger_id, JSON.stringify(record));
    if (next !== undefined) multi.hSet(this.keys.triggerNext, trigger.trigger_id, String(next));
    else multi.hDel(this.keys.triggerNext, trigger.trigger_id);
    if (fired !== undefined) multi.hSet(this.keys.triggerFired, trigger.trigger_id, String(fired));
    await multi.exec();
  }

  async getTrigger(triggerId: string): Promise<FlowTriggerRecord | undefined> {
    const [json, next, fired] = (await this.client
      .multi()
      .hGet(this.keys.triggers, triggerId)
      .hGet(this.keys.triggerNext, triggerId)
      .hGet(this.keys.triggerFired, triggerId)
      .exec()) as unknown as (string | null)[];
    return json ? withTimes(JSON.parse(json) as FlowTriggerRecord, next, fired) : undefined;
  }

  async listTriggers(): Promise<FlowTriggerRecord[]> {
    const [records, next, fired] = (await this.client
      .multi()
      .hGetAll(this.keys.triggers)
      .hGetAll(this.keys.triggerNext)
      .hGetAll(this.keys.triggerFired)
      .exec()) as unknown as Record<string, string>[];
    return Object.entries(records).map(([id, json]) => withTimes(JSON.parse(json) as FlowTriggerRecord, next[id], fired[id]));
  }

  async deleteTrigger(triggerId: string): Promise<boolean> {
    const [deleted] = (await this.client
      .multi()
      .hDel(this.keys.triggers, triggerId)
      .hDel(this.keys.triggerNext, triggerId)
      .hDel(this.keys.triggerFired, triggerId)
      .exec()) as unknown as number[];
    return deleted > 0;
  }

  async fireTrigger(triggerId: string, firedAt: number, schedule?: { expectedNextAt: number; nextAt: number }): Promise<boolean> {
    const keys = [this.keys.triggers, this.keys.triggerNext, this.keys.triggerFired];
    const args = [triggerId, String(firedAt), schedule ? String(schedule.expectedNextAt) : '', schedule ? String(schedule.nextAt) : ''];
    return (await this.scripts.run(FIRE_TRIGGER, keys, args)) === 1;
  }
}

function withTimes(trigger: FlowTriggerRecord, next: string | null | undefined, fired: string | null | undefined): FlowTriggerRecord {
  if (next) trigger.next_fire_at = Number(next);
  if (fired) trigger.last_fired_at = Number(fired);
  return trigger;
}

function parse<T>(json: string | null | undefined): T | undefined {
  return json ? (JSON.parse(json) as T) : undefined;
}
