import type { StateTimestamps } from '@funcx/protocol';
import { nowMs } from '@funcx/endpoint';
import { quantile } from './stats.js';

/** One sequential round trip: when the client sent it and saw its final event (epoch ms), and the task's stamps. */
export interface TimedRoundTrip {
  submitAt: number;
  finalAt: number;
  stamps: StateTimestamps;
}

/** Epoch milliseconds with sub-millisecond precision, on the same clock as the hub's and the endpoint's stamps. */
export const epochNow = nowMs;

/**
 * Medians of where a round trip's time went, part by part, from the per-state timestamps each task carries
 * (received: the hub; waiting-for-launch: the manager, as it hands the task to a worker; running and success:
 * the worker). Every process runs on this machine, so their clocks agree.
 */
export function breakdown(trips: TimedRoundTrip[]): [string, number][] {
  const part = (from: (t: TimedRoundTrip) => number | undefined, to: (t: TimedRoundTrip) => number | undefined) => {
    const spans: number[] = [];
    for (const trip of trips) {
      const a = from(trip);
      const b = to(trip);
      if (a !== undefined && b !== undefined) spans.push(b - a);
    }
    return quantile(spans, 0.5);
  };
  const parts: [string, number][] = [
    ['client -> hub (submit to received)', part((t) => t.submitAt, (t) => t.stamps.received)],
    ['hub -> endpoint daemon -> worker (received to running)', part((t) => t.stamps.received, (t) => t.stamps.running)],
    ['  hub -> daemon -> manager (received to waiting-for-launch)', part((t) => t.stamps.received, (t) => t.stamps['waiting-for-launch'])],
    ['  manager -> worker (waiting-for-launch to running)', part((t) => t.stamps['waiting-for-launch'], (t) => t.stamps.running)],
    ['in the worker (running to success)', part((t) => t.stamps.running, (t) => t.stamps.success)],
    ['worker -> daemon -> hub -> client (success to the final event)', part((t) => t.stamps.success, (t) => t.finalAt)],
    ['whole round trip', part((t) => t.submitAt, (t) => t.finalAt)],
  ];
  // A part whose stamps no task carried (a worker kind that skips waiting-for-launch) is left out.
  return parts.filter(([, value]) => !Number.isNaN(value));
}
