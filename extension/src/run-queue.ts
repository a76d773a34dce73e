/**
 * The cells of one notebook run one after another, each waiting for the one before, and a failure drops every
 * cell still waiting behind it: what a kernel does with its execute requests (`stop_on_error`).
 */
export class RunQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Rises at each failure: a job enqueued before the latest failure was dropped by it. */
  private failures = 0;
  private waiting = 0;

  /** How many jobs wait for their turn or run. */
  get length(): number {
    return this.waiting;
  }

  /**
   * Runs `job` once every job enqueued before it has finished; resolves with its success. When a job ahead
   * failed, `job` never starts: `dropped` is called instead and the result is false.
   */
  enqueue(job: () => Promise<boolean>, dropped: () => void): Promise<boolean> {
    const failuresBefore = this.failures;
    this.waiting++;
    const result = this.tail.then(async () => {
      if (this.failures !== failuresBefore) {
        dropped();
        return false;
      }
      let success = false;
      try {
        success = await job();
        return success;
      } finally {
        if (!success) this.failures++;
      }
    });
    const settled = result.then(
      () => undefined,
      () => undefined
    );
    this.tail = settled;
    void settled.then(() => this.waiting--);
    return result;
  }
}
