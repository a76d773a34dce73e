import {
  FuncxError,
  type FlowRecord,
  type FlowRunPage,
  type FlowRunRequest,
  type FlowRunStatus,
  type FlowRunSummary,
  type FlowRunView,
  type FlowSummary,
  type FlowTriggerCreated,
  type FlowTriggerRequest,
  type FlowTriggerView,
  type FlowUpload,
  type SharingState,
  type SharingUpdate,
} from '@funcx/protocol';
import { hubRequest, type RequestSettings } from './hub-request.js';

export interface FlowRunQuery {
  flow_id?: string;
  status?: FlowRunStatus;
  limit?: number;
  cursor?: string;
}

/** The flows part of the hub's REST API (HubClient.flows): flows, runs, triggers. No DOM, no socket. */
export class FlowsClient {
  constructor(private readonly settings: RequestSettings) {}

  deploy(upload: FlowUpload): Promise<FlowRecord> {
    return this.request('POST', '/flows', upload);
  }
  update(flowId: string, upload: Partial<FlowUpload>): Promise<FlowRecord> {
    return this.request('PUT', `/flows/${encodeURIComponent(flowId)}`, upload);
  }
  list(): Promise<FlowSummary[]> {
    return this.request('GET', '/flows');
  }
  get(flowId: string): Promise<FlowRecord> {
    return this.request('GET', `/flows/${encodeURIComponent(flowId)}`);
  }
  async delete(flowId: string): Promise<void> {
    await this.request('DELETE', `/flows/${encodeURIComponent(flowId)}`);
  }
  share(flowId: string, update: SharingUpdate): Promise<SharingState> {
    return this.request('PUT', `/flows/${encodeURIComponent(flowId)}/sharing`, update);
  }
  run(flowId: string, request: FlowRunRequest = {}): Promise<FlowRunSummary> {
    return this.request('POST', `/flows/${encodeURIComponent(flowId)}/run`, request);
  }
  /** Your runs, newest first, one page at a time (pass `cursor: page.next_cursor` for the next). */
  runs(query: FlowRunQuery = {}): Promise<FlowRunPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.request('GET', `/flow-runs${params.size > 0 ? `?${params}` : ''}`);
  }
  /** A run with its states' summaries and its events after `eventsAfter`. */
  getRun(runId: string, eventsAfter = 0): Promise<FlowRunView> {
    return this.request('GET', `/flow-runs/${encodeURIComponent(runId)}${eventsAfter > 0 ? `?events_after=${eventsAfter}` : ''}`);
  }
  cancelRun(runId: string): Promise<FlowRunSummary> {
    return this.request('POST', `/flow-runs/${encodeURIComponent(runId)}/cancel`);
  }
  addTrigger(flowId: string, request: FlowTriggerRequest): Promise<FlowTriggerCreated> {
    return this.request('POST', `/flows/${encodeURIComponent(flowId)}/triggers`, request);
  }
  triggers(flowId: string): Promise<FlowTriggerView[]> {
    return this.request('GET', `/flows/${encodeURIComponent(flowId)}/triggers`);
  }
  async deleteTrigger(triggerId: string): Promise<void> {
    await this.request('DELETE', `/flow-triggers/${encodeURIComponent(triggerId)}`);
  }

  /**
   * Polls a run until it is no longer ACTIVE and resolves with it, every event included; `onUpdate` sees each new
   * view (with the events since the last one only). Rejects after `timeoutMs` (default: never).
   */
  async waitForRun(runId: string, options: { intervalMs?: number; timeoutMs?: number; onUpdate?: (view: FlowRunView) => void } = {}): Promise<FlowRunView> {
    const started = Date.now();
    let seen = 0;
    const events: FlowRunView['events'] = [];
    for (;;) {
      const view = await this.getRun(runId, seen);
      if (view.events.length > 0) seen = view.events[view.events.length - 1].seq;
      events.push(...view.events);
      options.onUpdate?.(view);
      const more = seen < view.last_seq;
      if (view.status !== 'ACTIVE' && !more) return { ...view, events };
      if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
        throw new FuncxError('FUNCX_REQUEST_TIMEOUT', `flow run ${runId} is still ${view.status} after ${options.timeoutMs} ms`);
      }
      if (!more) await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    }
  }

  private request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return hubRequest<T>(this.settings, method, path, body);
  }
}
