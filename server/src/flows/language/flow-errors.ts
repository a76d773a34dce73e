import type { FlowError, JsonValue } from '@funcx/protocol';

/**
 * The errors a state can end with, by the name Catch and Retry match in ErrorEquals. A Fail state ends with the
 * Error it names.
 */
export const FLOW_ERRORS = {
  /** The action ended FAILED (a funcX task raised, a provider reported failure). */
  actionFailed: 'ActionFailedException',
  /** The action ran longer than the state's WaitTime; it was cancelled. */
  actionTimeout: 'ActionTimeout',
  /** The action could not start: the provider refused the request (4xx) or the hub refused the task. */
  actionUnableToRun: 'ActionUnableToRun',
  /** The provider answered with something that is not an action status. */
  providerError: 'ActionProviderError',
  /** A path matched nothing, a value had the wrong type, a Wait had no time. */
  runtime: 'States.Runtime',
  resultPath: 'States.ResultPathMatchFailure',
  /** An ExpressionEval (or `.=`) expression failed. */
  expression: 'States.ExpressionFailure',
  /** The run made more transitions than FLOW_MAX_TRANSITIONS. */
  transitionLimit: 'States.TransitionLimit',
  /** A Fail state without an Error. */
  failState: 'States.Fail',
} as const;

/** An error that ends a state: caught by a Catch that names it, else it ends the run. */
export class FlowFailure extends Error {
  readonly flowError: FlowError;

  constructor(error: string, cause: string, details?: JsonValue) {
    super(`${error}: ${cause}`);
    this.name = 'FlowFailure';
    this.flowError = { Error: error, Cause: cause };
    if (details !== undefined) this.flowError.Details = details;
  }
}

/** Any thrown value as a flow error (an unexpected one is States.Runtime with its message). */
export function asFlowError(error: unknown): FlowError {
  if (error instanceof FlowFailure) return error.flowError;
  return { Error: FLOW_ERRORS.runtime, Cause: (error as Error)?.message ?? String(error) };
}

/**
 * Whether a Catch or Retry that lists `names` handles `error`: `States.ALL` handles every error,
 * `States.TaskFailed` every action error but a timeout, `States.Timeout` an action timeout.
 */
export function errorMatches(names: string[], error: string): boolean {
  for (const name of names) {
    if (name === 'States.ALL' || name === error) return true;
    if (name === 'States.Timeout' && error === FLOW_ERRORS.actionTimeout) return true;
    if (name === 'States.TaskFailed' && error.startsWith('Action') && error !== FLOW_ERRORS.actionTimeout) return true;
  }
  return false;
}
