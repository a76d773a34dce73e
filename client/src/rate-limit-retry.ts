import { FuncxError } from '@funcx/protocol';

/** How many times a request the hub refused for its rate limit is sent again before its 429 is the answer. */
export const DEFAULT_RATE_LIMIT_RETRIES = 4;
/** Longest wait before one retry, whatever the hub says. */
const MAX_RETRY_WAIT_MS = 60_000;

/** How long the hub asked to wait, plus up to a tenth more so that clients refused together do not return together. */
export function retryWaitMs(error: FuncxError): number {
  const asked = error.retryAfterMs ?? (error.retryAfterS !== undefined ? error.retryAfterS * 1_000 : 1_000);
  return Math.min(MAX_RETRY_WAIT_MS, Math.ceil(asked * (1 + Math.random() * 0.1)));
}

/**
 * Runs `attempt`; while it fails with FUNCX_RATE_LIMITED, waits the time the hub said and runs it again, up to
 * `retries` more times. A refused request was not carried out, so sending it again is safe.
 */
export async function withRateLimitRetry<T>(attempt: () => Promise<T>, retries: number): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof FuncxError) || error.code !== 'FUNCX_RATE_LIMITED' || retry >= retries) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryWaitMs(error)));
    }
  }
}
