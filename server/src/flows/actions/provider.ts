import { FINAL_ACTION_STATUSES, type ActionStatus, type ActionStatusValue, type JsonObject } from '@funcx/protocol';
import { FLOW_ERRORS, FlowFailure } from '../language/flow-errors.js';

/** Who an action runs for, and how it is named to its provider. */
export interface ActionContext {
  /** The run's owner: the action acts with their rights. */
  owner: string;
  runId: string;
  flowId: string;
  /** The same request id means the same action (see ActionRunRequest). */
  requestId: string;
  label: string;
  /** Where the provider may POST when the action's status changes. */
  callbackUrl?: string;
  /**
   * The action may have been started already under this request id (the run was resumed after a crash, or a
   * step is tried again after an error): a provider that cannot deduplicate cheaply should look first.
   */
  mayExist?: boolean;
}

/**
 * An action provider as flows use it: the action-provider API (run, status, cancel, release) whether the
 * provider is the hub's own funcX action or a service over HTTP. A failure that may pass (a network error, a
 * 5xx, a 429) is thrown as TransientActionError and tried again later; any other failure as a FlowFailure.
 */
export interface ActionProvider {
  run(context: ActionContext, body: JsonObject): Promise<ActionStatus>;
  status(context: ActionContext, actionId: string): Promise<ActionStatus>;
  cancel(context: ActionContext, actionId: string): Promise<void>;
  /** Tells the provider it may forget a finished action. */
  release(context: ActionContext, actionId: string): Promise<void>;
  /** Calls `onChange` when the action may have changed (before a poll would see it); returns a stop function. */
  watch?(context: ActionContext, actionId: string, onChange: () => void): () => void;
}

/** A failure worth trying again later: nothing is known to have happened. */
export class TransientActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientActionError';
  }
}

const STATUSES: readonly ActionStatusValue[] = ['ACTIVE', 'SUCCEEDED', 'FAILED', 'INACTIVE'];

export function isFinalStatus(status: ActionStatus): boolean {
  return FINAL_ACTION_STATUSES.includes(status.status);
}

/** A provider's answer as an action status, or ActionProviderError saying what is wrong with it. */
export function asActionStatus(value: unknown, where: string): ActionStatus {
  const status = value as ActionStatus;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FlowFailure(FLOW_ERRORS.providerError, `${where} answered ${JSON.stringify(value)?.slice(0, 200)}, not an action status object`);
  }
  if (typeof status.action_id !== 'string' || status.action_id === '') {
    throw new FlowFailure(FLOW_ERRORS.providerError, `${where} answered an action status without an action_id`);
  }
  if (!STATUSES.includes(status.status)) {
    throw new FlowFailure(FLOW_ERRORS.providerError, `${where} answered status ${JSON.stringify(status.status)}; the statuses are ${STATUSES.join(', ')}`);
  }
  return status;
}
