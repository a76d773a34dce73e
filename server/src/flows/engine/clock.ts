/** Time as the flow engine reads it and waits on it: the system's, or a test's (node:test mock timers work with it). */
export interface FlowClock {
  now(): number;
  setTimer(fire: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

import { now } from '../../tasks/clock.js';

/** setTimeout's longest delay; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Epoch ms with sub-millisecond precision (events show what a transition costs), and setTimeout. */
export const systemClock: FlowClock = {
  now,
  setTimer: (fire, ms) => {
    const timer = setTimeout(fire, Math.max(0, Math.min(ms, MAX_TIMER_MS)));
    (timer as { unref?: () => void }).unref?.();
    return timer;
  },
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
