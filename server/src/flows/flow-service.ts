import { randomUUID } from 'node:crypto';
import {
  FuncxError,
  sharingState,
  type FlowRecord,
  type FlowRunPage,
  type FlowRunRecord,
  type FlowRunRequest,
  type FlowRunStatus,
  type FlowRunSummary,
  type FlowRunView,
  type FlowSummary,
  type FlowUpload,
  type SharingState,
  type SharingUpdate,
} from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import type { Access } from '../auth/access.js';
import type { SharingService } from '../sharing/service.js';
import type { Store } from '../store/store.js';
import type { FlowEngine } from './engine/engine.js';
import { assertValidDefinition, type ValidationOptions } from './language/validate.js';
import { stateLabels, summarizeStates } from './summary.js';

/** Most events one GET of a run returns (ask again with events_after for the rest). */
export const FLOW_EVENTS_PAGE = 1_000;
/** Events read at most to summarize a run's states. */
const MAX_SUMMARIZED_EVENTS = 200_000;

/** Flows (owned and shared like functions) and their runs (each its owner's alone). */
export class FlowService {
  constructor(
    private readonly store: Store,
    private readonly access: Access,
    private readonly sharing: SharingService,
    private readonly engine: FlowEngine,
    private readonly validation: ValidationOptions,
  ) {}

  async deploy(actor: Actor, upload: FlowUpload): Promise<FlowRecord> {
    assertValidDefinition(upload.definition, this.validation);
    const now = Date.now();
    const flow: FlowRecord = {
      flow_id: randomUUID(),
      owner: actor.user,
      title: upload.title ?? upload.definition.Comment?.slice(0, 100) ?? 'flow',
      definition: upload.definition,
      public: upload.public ?? false,
      shared_with: { users: [], groups: [] },
      created_at: now,
      updated_at: now,
    };
    if (upload.description !== undefined) flow.description = upload.description;
    await Promise.all([this.store.flows.putFlow(flow), this.store.appendAudit([auditRecord(actor, 'flow.deploy', { flow_id: flow.flow_id, detail: { title: flow.title } })])]);
    return flow;
  }

  /** Replaces what is given (only the owner may); runs already started keep the definition they started with. */
  async update(actor: Actor, flowId: string, upload: Partial<FlowUpload>): Promise<FlowRecord> {
    const flow = await this.owned(actor.user, flowId, 'change');
    if (upload.definition !== undefined) assertValidDefinition(upload.definition, this.validation);
    const next: FlowRecord = { ...flow, updated_at: Date.now() };
    if (upload.definition !== undefined) next.definition = upload.definition;
    if (upload.title !== undefined) next.title = upload.title;
    if (upload.description !== undefined) next.description = upload.description;
    if (upload.public !== undefined) next.public = upload.public;
    await Promise.all([this.store.flows.putFlow(next), this.store.appendAudit([auditRecord(actor, 'flow.update', { flow_id: flowId })])]);
    return next;
  }

  /** Flows the user may run: theirs, shared with them or their groups, public ones. */
  async list(user: string): Promise<FlowSummary[]> {
    const flows = await this.store.flows.listFlows();
    return flows
      .filter((flow) => this.access.canUse(user, flow))
      .sort((a, b) => b.created_at - a.created_at)
      .map(({ definition, ...rest }) => ({ ...rest, state_count: stateLabels(definition).length }));
  }

  /** A flow the user may run (404 unknown, 403 another user's, not shared). */
  async get(user: string, flowId: string): Promise<FlowRecord> {
    const flow = await this.store.flows.getFlow(flowId);
    if (!flow) throw new FuncxError('FUNCX_FLOW_NOT_FOUND', `No flow with id ${flowId}: deploy one with POST /v1/flows (funcx flow deploy FILE), list yours with GET /v1/flows`);
    if (!this.access.canUse(user, flow)) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Flow ${flowId} belongs to ${flow.owner} and is not shared with you: ask them to share it`);
    }
    return flow;
  }

  private async owned(user: string, flowId: string, what: string): Promise<FlowRecord> {
    const flow = await this.get(user, flowId);
    if (flow.owner !== user) throw new FuncxError('FUNCX_FORBIDDEN', `Only its owner (${flow.owner}) may ${what} flow ${flowId}`);
    return flow;
  }

  /** Deletes a flow and its triggers; its runs go on with the definition they started with. */
  async delete(actor: Actor, flowId: string): Promise<void> {
    await this.owned(actor.user, flowId, 'delete');
    const triggers = (await this.store.flows.listTriggers()).filter((trigger) => trigger.flow_id === flowId);
    await Promise.all([
      this.store.flows.deleteFlow(flowId),
      ...triggers.map((trigger) => this.store.flows.deleteTrigger(trigger.trigger_id)),
      this.store.appendAudit([auditRecord(actor, 'flow.delete', { flow_id: flowId })]),
    ]);
  }

  async share(actor: Actor, flowId: string, update: SharingUpdate): Promise<SharingState> {
    const flow = await this.owned(actor.user, flowId, 'change the sharing of');
    const next: FlowRecord = { ...flow, public: update.public ?? flow.public, shared_with: await this.sharing.sharing(flow.shared_with, update) };
    const state = sharingState(next);
    await Promise.all([this.store.flows.putFlow(next), this.store.appendAudit([auditRecord(actor, 'flow.share', { flow_id: flowId, detail: { ...state } })])]);
    return state;
  }

  /** Starts a run of a flow the user may run; it runs as that user. */
  async run(actor: Actor, flowId: string, request: FlowRunRequest, triggerId?: string): Promise<FlowRunRecord> {
    const flow = await this.get(actor.user, flowId);
    const run = await this.engine.startRun({ owner: actor.user, flow, input: request.input ?? {}, label: request.label, triggerId });
    await this.store.appendAudit([auditRecord(actor, 'flow.run', { flow_id: flowId, run_id: run.run_id })]);
    return run;
  }

  /** A run of the user's (404 unknown, 403 another user's). */
  async getRun(user: string, runId: string): Promise<FlowRunRecord> {
    const run = await this.store.flows.getRun(runId);
    if (!run) throw new FuncxError('FUNCX_FLOW_RUN_NOT_FOUND', `No flow run with id ${runId}: list yours with GET /v1/flow-runs (funcx flow runs)`);
    if (run.owner !== user) throw new FuncxError('FUNCX_FORBIDDEN', `Flow run ${runId} belongs to another user`);
    return run;
  }

  /** A run with its states' summaries and its events after `eventsAfter`. */
  async viewRun(user: string, runId: string, eventsAfter = 0): Promise<FlowRunView> {
    const run = await this.getRun(user, runId);
    const all = await this.store.flows.readRunEvents(runId, 0, MAX_SUMMARIZED_EVENTS);
    const events = all.slice(eventsAfter, eventsAfter + FLOW_EVENTS_PAGE);
    return { ...run, states: summarizeStates(run.definition, all), events, last_seq: all.length };
  }

  async listRuns(user: string, query: { flowId?: string; status?: FlowRunStatus; limit: number; cursor?: string }): Promise<FlowRunPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const runs = await this.store.flows.listRuns(user, { flowId: query.flowId, status: query.status, after, limit: query.limit + 1 });
    const page: FlowRunPage = { runs: runs.slice(0, query.limit).map(summaryOf) };
    if (runs.length > query.limit) {
      const last = runs[query.limit - 1];
      page.next_cursor = Buffer.from(JSON.stringify([last.created_at, last.run_id])).toString('base64url');
    }
    return page;
  }

  /** Cancels a run: at once when this hub drives it, else by asking its hub (the answer says cancel_requested). */
  async cancel(actor: Actor, runId: string): Promise<FlowRunRecord> {
    const run = await this.getRun(actor.user, runId);
    if (run.status !== 'ACTIVE') throw new FuncxError('FUNCX_FLOW_RUN_FINISHED', `Flow run ${runId} has already finished (${run.status}); there is nothing to cancel`);
    await this.store.appendAudit([auditRecord(actor, 'flow.cancel', { flow_id: run.flow_id, run_id: runId })]);
    const driver = this.engine.driving(runId);
    if (driver) return driver.cancel();
    await this.store.flows.requestRun(runId, 'cancel');
    return { ...run, cancel_requested: true };
  }

  /** A provider's callback: polls the action now (here, or through the hub that drives the run). */
  async callback(runId: string, token: string): Promise<void> {
    const driver = this.engine.driving(runId);
    if (driver) driver.pokeByToken(token);
    else await this.store.flows.requestRun(runId, 'poke');
  }
}

function summaryOf(run: FlowRunRecord): FlowRunSummary {
  const { definition: _definition, input: _input, output: _output, ...summary } = run;
  return summary;
}

function decodeCursor(cursor: string): { created: number; runId: string } {
  try {
    const [created, runId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [number, string];
    if (typeof created === 'number' && typeof runId === 'string') return { created, runId };
  } catch {
    // answered below
  }
  throw new FuncxError('FUNCX_BAD_REQUEST', 'cursor is not one this hub gave: pass next_cursor from the previous page as it is');
}
