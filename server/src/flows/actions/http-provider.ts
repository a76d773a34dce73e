import type { ActionRunRequest, ActionStatus, JsonObject } from '@funcx/protocol';
import { FLOW_ERRORS, FlowFailure } from '../language/flow-errors.js';
import { asActionStatus, TransientActionError, type ActionContext, type ActionProvider } from './provider.js';

/** Longest wait for one request to a provider. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Most bytes of a provider's answer read. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * An action provider over HTTP, as Globus Flows defines the API: `POST {url}/run`, `GET {url}/{id}/status`,
 * `POST {url}/{id}/cancel`, `POST {url}/{id}/release`, each answering an action status. The hub names the user
 * it acts for in `X-Funcx-User` and the run in `X-Funcx-Flow-Run`.
 */
export class HttpActionProvider implements ActionProvider {
  private readonly base: string;

  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  run(context: ActionContext, body: JsonObject): Promise<ActionStatus> {
    const request: ActionRunRequest = { request_id: context.requestId, body, label: context.label };
    if (context.callbackUrl) request.callback_url = context.callbackUrl;
    return this.call(context, 'POST', '/run', request);
  }

  status(context: ActionContext, actionId: string): Promise<ActionStatus> {
    return this.call(context, 'GET', `/${encodeURIComponent(actionId)}/status`);
  }

  async cancel(context: ActionContext, actionId: string): Promise<void> {
    await this.call(context, 'POST', `/${encodeURIComponent(actionId)}/cancel`, {});
  }

  async release(context: ActionContext, actionId: string): Promise<void> {
    await this.call(context, 'POST', `/${encodeURIComponent(actionId)}/release`, {});
  }

  private async call(context: ActionContext, method: string, path: string, body?: unknown): Promise<ActionStatus> {
    const where = `${method} ${this.base}${path}`;
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          'x-funcx-user': context.owner,
          'x-funcx-flow-run': context.runId,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw new TransientActionError(`${where}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    }
    const text = await readText(response);
    if (response.status >= 500 || response.status === 429 || response.status === 408) {
      throw new TransientActionError(`${where}: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const name = path === '/run' ? FLOW_ERRORS.actionUnableToRun : response.status === 404 ? FLOW_ERRORS.actionFailed : FLOW_ERRORS.providerError;
      throw new FlowFailure(name, `${where}: HTTP ${response.status} ${describeBody(text)}`, parseOr(text));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FlowFailure(FLOW_ERRORS.providerError, `${where} answered something that is not JSON: ${text.slice(0, 200)}`);
    }
    return asActionStatus(parsed, where);
  }
}

async function readText(response: Response): Promise<string> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw new FlowFailure(FLOW_ERRORS.providerError, `the provider's answer is ${length} bytes, more than the ${MAX_ANSWER_BYTES} the hub reads`);
  }
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) throw new FlowFailure(FLOW_ERRORS.providerError, `the provider's answer is more than the ${MAX_ANSWER_BYTES} bytes the hub reads`);
  return text;
}

function parseOr(text: string): JsonObject | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

/** The message of an error body ({message}, {detail}, …), else the text itself. */
function describeBody(text: string): string {
  const body = parseOr(text);
  const message = body?.message ?? body?.detail ?? body?.error;
  return typeof message === 'string' ? message : text.slice(0, 300);
}
