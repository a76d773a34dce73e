import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Cron } from 'croner';
import {
  FuncxError,
  type FlowTriggerCreated,
  type FlowTriggerRecord,
  type FlowTriggerRequest,
  type FlowTriggerView,
  type JsonObject,
  type JsonValue,
} from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import type { Store } from '../store/store.js';
import type { FlowClock } from './engine/clock.js';
import type { FlowService } from './flow-service.js';

/** How often every hub looks for schedules that are due (the store decides which hub fires each). */
export const TRIGGER_CHECK_MS = 1_000;

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** The next time a cron expression fires after `after` (epoch ms), or a 400 saying what is wrong with it. */
export function nextFire(cron: string, timezone: string | undefined, after: number): number {
  let schedule: Cron;
  try {
    schedule = new Cron(cron, { paused: true, timezone: timezone ?? 'UTC' });
  } catch (error) {
    throw new FuncxError('FUNCX_BAD_REQUEST', `cron "${cron}": ${(error as Error).message} (e.g. "*/15 * * * *" every 15 minutes, "0 3 * * 1" Mondays at 03:00)`);
  }
  const next = schedule.nextRun(new Date(after));
  if (!next) throw new FuncxError('FUNCX_BAD_REQUEST', `cron "${cron}" never fires after ${new Date(after).toISOString()}`);
  return next.getTime();
}

export function triggerView(trigger: FlowTriggerRecord): FlowTriggerView {
  const { secret_hash: _hash, ...view } = trigger;
  return trigger.kind === 'webhook' ? { ...view, webhook_path: `/v1/flow-triggers/${trigger.trigger_id}/webhook` } : view;
}

/**
 * Triggers start runs of a flow as the user who made them: on a schedule (cron, checked every second on every
 * hub, each due time fired by exactly one hub), or when their webhook is called with their secret.
 */
export class TriggerService {
  private timer: unknown;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly flows: FlowService,
    private readonly clock: FlowClock,
    private readonly onError: (error: unknown, what: string) => void,
  ) {}

  async create(actor: Actor, flowId: string, request: FlowTriggerRequest): Promise<FlowTriggerCreated> {
    const flow = await this.flows.get(actor.user, flowId);
    const trigger: FlowTriggerRecord = { trigger_id: randomUUID(), flow_id: flow.flow_id, owner: actor.user, kind: request.kind, created_at: this.clock.now() };
    if (request.input !== undefined) trigger.input = request.input;
    if (request.label !== undefined) trigger.label = request.label;
    let secret: string | undefined;
    if (request.kind === 'cron') {
      if (!request.cron) throw new FuncxError('FUNCX_BAD_REQUEST', 'a cron trigger needs "cron", e.g. "*/5 * * * *" (every five minutes)');
      if (request.timezone !== undefined && !validTimezone(request.timezone)) {
        throw new FuncxError('FUNCX_BAD_REQUEST', `timezone "${request.timezone}" is not an IANA time zone such as UTC or Europe/Paris`);
      }
      trigger.cron = request.cron;
      if (request.timezone !== undefined) trigger.timezone = request.timezone;
      trigger.next_fire_at = nextFire(request.cron, request.timezone, this.clock.now());
    } else {
      if (request.cron !== undefined || request.timezone !== undefined) throw new FuncxError('FUNCX_BAD_REQUEST', 'a webhook trigger takes no cron or timezone');
      secret = randomBytes(24).toString('base64url');
      trigger.secret_hash = hashSecret(secret);
    }
    await Promise.all([
      this.store.flows.putTrigger(trigger),
      this.store.appendAudit([auditRecord(actor, 'flow.trigger', { flow_id: flowId, detail: { trigger_id: trigger.trigger_id, kind: trigger.kind } })]),
    ]);
    const created: FlowTriggerCreated = triggerView(trigger);
    if (secret) created.secret = secret;
    return created;
  }

  /** The user's triggers of a flow they may run. */
  async list(user: string, flowId: string): Promise<FlowTriggerView[]> {
    await this.flows.get(user, flowId);
    const triggers = await this.store.flows.listTriggers();
    return triggers.filter((trigger) => trigger.flow_id === flowId && trigger.owner === user).map(triggerView);
  }

  async delete(actor: Actor, triggerId: string): Promise<void> {
    const trigger = await this.store.flows.getTrigger(triggerId);
    if (!trigger || trigger.owner !== actor.user) {
      throw new FuncxError('FUNCX_FLOW_TRIGGER_NOT_FOUND', `No trigger ${triggerId} of yours: list them with GET /v1/flows/FLOW_ID/triggers`);
    }
    await this.store.flows.deleteTrigger(triggerId);
  }

  /** A webhook call: with the right secret, starts a run whose input is the trigger's input with the body merged over it. */
  async webhook(triggerId: string, secret: string | undefined, body: JsonValue | undefined): Promise<{ run_id: string }> {
    const trigger = await this.store.flows.getTrigger(triggerId);
    if (!trigger || trigger.kind !== 'webhook' || !trigger.secret_hash) throw new FuncxError('FUNCX_FLOW_TRIGGER_NOT_FOUND', `No webhook trigger ${triggerId}`);
    const expected = Buffer.from(trigger.secret_hash, 'hex');
    const given = Buffer.from(hashSecret(secret ?? ''), 'hex');
    if (!secret || !timingSafeEqual(expected, given)) {
      throw new FuncxError('FUNCX_UNAUTHORIZED', 'This webhook needs its secret in the X-Funcx-Trigger-Secret header (shown once, when the trigger was made)');
    }
    const input = mergeInput(trigger.input, body);
    const run = await this.flows.run({ user: trigger.owner, via: 'flow' }, trigger.flow_id, { input, label: trigger.label }, trigger.trigger_id);
    await this.store.flows.fireTrigger(trigger.trigger_id, this.clock.now());
    return { run_id: run.run_id };
  }

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.fireDue().finally(() => {
        if (!this.closed) this.timer = this.clock.setTimer(tick, TRIGGER_CHECK_MS);
      });
    };
    this.timer = this.clock.setTimer(tick, 0);
  }

  /** Fires every schedule that is due, each once (the store says whether this hub won it). */
  async fireDue(): Promise<void> {
    try {
      const now = this.clock.now();
      const due = (await this.store.flows.listTriggers()).filter((trigger) => trigger.kind === 'cron' && trigger.next_fire_at !== undefined && trigger.next_fire_at <= now);
      for (const trigger of due) {
        // A schedule missed while every hub was down fires once on return, then keeps its pace.
        const nextAt = nextFire(trigger.cron!, trigger.timezone, now);
        if (!(await this.store.flows.fireTrigger(trigger.trigger_id, now, { expectedNextAt: trigger.next_fire_at!, nextAt }))) continue;
        await this.flows
          .run({ user: trigger.owner, via: 'flow' }, trigger.flow_id, { input: trigger.input ?? {}, label: trigger.label }, trigger.trigger_id)
          .catch((error: unknown) => this.onError(error, `trigger ${trigger.trigger_id} of flow ${trigger.flow_id}`));
      }
    } catch (error) {
      this.onError(error, 'firing flow triggers');
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
  }
}

function validTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** A webhook body merged over the trigger's input (a body that is not an object goes in as `body`). */
function mergeInput(base: JsonObject | undefined, body: JsonValue | undefined): JsonValue {
  if (body === undefined || body === null) return base ?? {};
  if (typeof body === 'object' && !Array.isArray(body)) return { ...base, ...body };
  return { ...base, body };
}
