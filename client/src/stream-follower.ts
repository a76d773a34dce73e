import type { FuncxError, JsonValue, StreamItems } from '@funcx/protocol';

/** How long one read waits at the endpoint for an item while the task runs (the hub allows up to 20 s). */
export const STREAM_READ_WAIT_MS = 10_000;
/** Waits between reads that failed for a reason that may pass (the hub or the endpoint unreachable). */
const RETRY_MS = [250, 500, 1_000, 2_000, 5_000];
/** Reads that may fail in a row once the task has ended, before the rest of its stream is given up. */
const RETRIES_AFTER_END = 5;
/** Refusals that reading again will not change: the task is not the reader's, or is gone. */
const FATAL_CODES = new Set(['FUNCX_UNAUTHORIZED', 'FUNCX_FORBIDDEN', 'FUNCX_TASK_NOT_FOUND', 'FUNCX_ENDPOINT_NOT_FOUND', 'FUNCX_ROUTE_NOT_FOUND']);

export interface StreamFollowerHandlers {
  /** Items not delivered before, in order; `from` is the index of the first. */
  onItems(items: JsonValue[], from: number): void;
  /**
   * A read failed. `fatal`: reading stops (what was delivered stays delivered); otherwise it goes on after a
   * wait, from where it was, and `onRecovered` says when a read succeeds again.
   */
  onProblem(error: FuncxError, fatal: boolean): void;
  onRecovered?(): void;
}

export type ReadItems = (from: number, waitMs: number) => Promise<StreamItems>;

/**
 * Follows a generator task's stream (GET /v1/tasks/ID/items) with long polls from `next`, delivering each item
 * once: a read repeated after a lost connection starts where the last one ended, and items the endpoint still
 * held from before are skipped. `restart()` starts over at 0 for a new attempt of the task.
 */
export class StreamFollower {
  private position = 0;
  /** Bumped by restart() and stop(): a read that returns after either belongs to what came before. */
  private generation = 0;
  private running = false;
  private stopped = false;
  private ended = false;
  private failing = false;
  private done = false;
  private readonly finished: (() => void)[] = [];

  constructor(
    private readonly read: ReadItems,
    private readonly handlers: StreamFollowerHandlers,
    /** Asked before each read: false stops reading (nobody will see what it brings). */
    private readonly wanted: () => boolean = () => true,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Items delivered so far (the index the next read asks from). */
  get next(): number {
    return this.position;
  }

  /** Starts reading, unless it already does (or was stopped). */
  start(): void {
    if (this.running || this.stopped || this.done) return;
    this.running = true;
    void this.loop();
  }

  /** The task was handed out again: its stream starts over, and so does reading it. */
  restart(): void {
    if (this.stopped) return;
    this.generation++;
    this.position = 0;
    this.done = false;
  }

  /** The task has ended: reads what is left (without waiting at the endpoint) and resolves once all was read. */
  finish(): Promise<void> {
    this.ended = true;
    if (this.stopped || this.done) return Promise.resolve();
    const whenDone = new Promise<void>((resolve) => this.finished.push(resolve));
    this.start();
    return whenDone;
  }

  /** Stops reading now (a read on its way is ignored when it returns). */
  stop(): void {
    this.stopped = true;
    this.generation++;
    this.settle();
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped && !this.done) {
      if (!this.wanted()) {
        this.stopped = true;
        break;
      }
      const generation = this.generation;
      const from = this.position;
      let page: StreamItems;
      try {
        page = await this.read(from, this.ended ? 0 : STREAM_READ_WAIT_MS);
      } catch (error) {
        if (this.stopped || generation !== this.generation) continue;
        const problem = error as FuncxError;
        failures++;
        const fatal = FATAL_CODES.has(problem.code) || (this.ended && failures > RETRIES_AFTER_END);
        this.failing = true;
        this.handlers.onProblem(problem, fatal);
        if (fatal) {
          this.stopped = true;
          break;
        }
        await this.sleep(RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]);
        continue;
      }
      if (this.stopped || generation !== this.generation) continue;
      failures = 0;
      if (this.failing) {
        this.failing = false;
        this.handlers.onRecovered?.();
      }
      // The endpoint answers from the first item it still holds: any before `from` were delivered already.
      const skip = Math.min(Math.max(0, from - page.from), page.items.length);
      const fresh = skip > 0 ? page.items.slice(skip) : page.items;
      this.position = Math.max(from, page.next);
      if (fresh.length > 0) this.handlers.onItems(fresh, page.from + skip);
      if (page.done) this.done = true;
    }
    this.running = false;
    this.settle();
  }

  private settle(): void {
    if (!this.stopped && !this.done) return;
    for (const resolve of this.finished.splice(0)) resolve();
  }
}
