import { performance } from 'node:perf_hooks';

/** How often (ms of the monotonic clock) the wall clock is looked at. */
const CHECK_EVERY_MS = 1_000;
/** How long an alignment may wait for the wall clock's millisecond to tick. */
const ALIGN_WAIT_MS = 2;

/**
 * Epoch milliseconds with sub-millisecond precision that stay on the wall clock. Task timestamps come from
 * several processes (the hub, the daemon and its managers, Python workers reading the wall clock), and what a
 * user sees is differences between them. `performance.timeOrigin + performance.now()` is exact at the start but
 * follows the monotonic clock afterwards, so a step of the wall clock (a VM resumed, `chronyc makestep`) or a
 * long slew would set a process apart from the others. Once a second this compares itself with `Date.now()`
 * and, when it has moved off by more than its whole-millisecond rounding, aligns on the next millisecond tick.
 */
export class EpochClock {
  /** The wall clock's reading at monotonic 0. */
  private origin: number;
  private checkedAt: number;

  constructor(
    private readonly wall: () => number = Date.now,
    private readonly monotonic: () => number = () => performance.now(),
    origin = performance.timeOrigin,
  ) {
    this.origin = origin;
    this.checkedAt = monotonic();
  }

  now(): number {
    const t = this.monotonic();
    if (t - this.checkedAt >= CHECK_EVERY_MS) {
      this.checkedAt = t;
      // Aligned, Date.now() (whole milliseconds, rounded down) reads at most 1 ms below this clock.
      const off = this.wall() - (this.origin + t);
      if (off < -1.5 || off > 0.5) {
        this.align();
        return this.origin + this.monotonic();
      }
    }
    return this.origin + t;
  }

  /** At the moment Date.now() ticks over, it is exact. */
  private align(): void {
    const first = this.wall();
    const until = this.monotonic() + ALIGN_WAIT_MS;
    for (;;) {
      const t = this.monotonic();
      const wall = this.wall();
      if (wall !== first) {
        this.origin = wall - t;
        return;
      }
      if (t >= until) {
        this.origin = wall + 0.5 - t;
        return;
      }
    }
  }
}

const clock = new EpochClock();

/** Epoch milliseconds with sub-millisecond precision, kept on the wall clock (EpochClock). */
export function epochMs(): number {
  return clock.now();
}
