import { FuncxError } from '@funcx/protocol';

/**
 * One token bucket per key (a user): `ratePerSecond` requests a second sustained, bursts up to twice that.
 * A rate of 0 turns the limit off. `what` names what is counted in the 429's message.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly what: string,
    private readonly advice: string,
  ) {}

  take(key: string, at = Date.now()): void {
    if (this.ratePerSecond <= 0) return;
    const capacity = this.ratePerSecond * 2;
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: capacity, updated: at }));
    bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.updated) / 1000) * this.ratePerSecond);
    bucket.updated = at;
    if (bucket.tokens < 1) {
      const waitMs = Math.ceil(((1 - bucket.tokens) / this.ratePerSecond) * 1000);
      throw new FuncxError(
        'FUNCX_RATE_LIMITED',
        `Too many ${this.what}: this hub accepts ${this.ratePerSecond} per second per user; retry in ${waitMs} ms${this.advice}`,
        Math.max(1, Math.ceil(waitMs / 1000)),
        waitMs,
      );
    }
    bucket.tokens -= 1;
    if (this.buckets.size > 10_000) this.forgetFull(at);
  }

  private forgetFull(at: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((at - bucket.updated) / 1000) * this.ratePerSecond >= this.ratePerSecond * 2) this.buckets.delete(key);
    }
  }
}

/** The two limits every path shares: task submissions, and requests of any kind. */
export interface RateLimits {
  submissions: RateLimiter;
  requests: RateLimiter;
}

export function createRateLimits(submissionsPerSecond: number, requestsPerSecond: number): RateLimits {
  return {
    submissions: new RateLimiter(submissionsPerSecond, 'task submissions', ' or send many tasks in one batch (POST /v1/tasks/batch)'),
    requests: new RateLimiter(requestsPerSecond, 'requests', ''),
  };
}
