import type { StateTimestamps, TaskEvent, TaskSubmission } from '@funcx/protocol';
import type { HubClient } from '@funcx/client';
import { epochNow, type TimedRoundTrip } from './breakdown.js';
import { quantile } from './stats.js';

/** Counts final events per task id, so a bench can wait for tasks whose finals may precede their ack. */
export class FinalWaiter {
  private readonly finished = new Map<string, number>();
  /** Per-state timestamps of finished tasks and when their final event arrived (epoch ms), kept only while `keepTimestamps` is set. */
  readonly timestamps = new Map<string, { stamps: StateTimestamps; at: number }>();
  keepTimestamps = false;
  private readonly waiting = new Map<string, () => void>();
  failed = 0;

  constructor(client: HubClient) {
    client.onTaskEvents((events: TaskEvent[]) => {
      const now = performance.now();
      for (const event of events) {
        if (event.type !== 'final') continue;
        if (event.state !== 'success') this.failed++;
        if (this.keepTimestamps) this.timestamps.set(event.task_id, { stamps: event.timestamps, at: epochNow() });
        const wake = this.waiting.get(event.task_id);
        if (wake) {
          this.waiting.delete(event.task_id);
          this.finished.set(event.task_id, now);
          wake();
        } else {
          this.finished.set(event.task_id, now);
        }
      }
    });
  }

  /** Resolves with the time (performance.now) at which the task's final event arrived. */
  wait(taskId: string, timeoutMs = 60_000): Promise<number> {
    const at = this.finished.get(taskId);
    if (at !== undefined) {
      this.finished.delete(taskId);
      return Promise.resolve(at);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`task ${taskId} did not finish within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(taskId, () => {
        clearTimeout(timer);
        const when = this.finished.get(taskId)!;
        this.finished.delete(taskId);
        resolve(when);
      });
    });
  }

  /** Resolves when every task has finished; returns the time the last final arrived. */
  async waitAll(taskIds: string[], timeoutMs = 120_000): Promise<number> {
    let last = 0;
    for (const id of taskIds) last = Math.max(last, await this.wait(id, timeoutMs));
    return last;
  }
}

/** Round trips (ms) of tasks submitted one at a time over the socket, each awaited to its final event. */
export async function hubLatencies(client: HubClient, waiter: FinalWaiter, task: TaskSubmission, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const { task_ids } = await client.submitLive([task]);
    const end = await waiter.wait(task_ids[0]);
    samples.push(end - start);
  }
  return samples;
}

/** Tasks submitted one at a time, each with when it was sent, when its final event came and its stamps. */
export async function timedRoundTrips(client: HubClient, waiter: FinalWaiter, task: TaskSubmission, count: number): Promise<TimedRoundTrip[]> {
  const trips: TimedRoundTrip[] = [];
  waiter.keepTimestamps = true;
  try {
    for (let i = 0; i < count; i++) {
      const submitAt = epochNow();
      const { task_ids } = await client.submitLive([task]);
      await waiter.wait(task_ids[0]);
      const final = waiter.timestamps.get(task_ids[0])!;
      waiter.timestamps.delete(task_ids[0]);
      trips.push({ submitAt, finalAt: final.at, stamps: final.stamps });
    }
  } finally {
    waiter.keepTimestamps = false;
  }
  return trips;
}

/** Tasks per second for `count` tasks submitted as one batch, from submit to the last final event. */
export async function hubThroughput(client: HubClient, waiter: FinalWaiter, task: TaskSubmission, count: number): Promise<number> {
  const tasks = Array.from({ length: count }, () => task);
  const start = performance.now();
  const { task_ids } = await client.submitLive(tasks);
  const end = await waiter.waitAll(task_ids);
  return (count * 1_000) / (end - start);
}

/** Batches measured one after the other: the median, and the first and the range, for the table. */
export interface BatchFigures {
  median: number;
  first: number;
  lowest: number;
  highest: number;
}

export async function batchThroughputs(client: HubClient, waiter: FinalWaiter, task: TaskSubmission, count: number, batches: number): Promise<BatchFigures> {
  const rates: number[] = [];
  for (let i = 0; i < batches; i++) rates.push(await hubThroughput(client, waiter, task, count));
  return { median: quantile(rates, 0.5), first: rates[0], lowest: Math.min(...rates), highest: Math.max(...rates) };
}

/**
 * Brings the whole path to its steady state before anything is timed: 4,000 round trips, then three batches
 * of the measured size. The hub, the daemon and the manager are V8 programs whose hottest functions are
 * optimised only after many calls and whose heaps grow to fit a large batch. Measured on a fresh hub: round
 * trips 1,000 to 3,000 had a p50 of about 1.0 ms and took the hub about 410 µs of CPU each, trips after the
 * 4,000th about 0.75 ms and 310 µs; after a 300-trip warm-up the first batch of 10,000 ran at 0.7 to 0.8 times
 * the rate of the fourth and later ones.
 */
export async function warmUp(client: HubClient, waiter: FinalWaiter, task: TaskSubmission, count: number): Promise<void> {
  await hubLatencies(client, waiter, task, 4_000);
  for (let i = 0; i < 3; i++) await hubThroughput(client, waiter, task, count);
}
