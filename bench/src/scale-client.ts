/**
 * The client of the scale benchmark's run through the hub, in its own process: registers a no-op function, then
 * on 'go' submits TASKS tasks in batches over the socket, keeping at most WINDOW unfinished, and reports how long
 * they took and the latency from the hub's `received` timestamp to the final event's arrival here (sampled).
 * argv: HUB_URL TOKEN ENDPOINT TASKS WINDOW
 */
import { HubClient } from '@funcx/client';
import type { TaskEvent } from '@funcx/protocol';
import { NOOP_SOURCE } from './options.js';
import { quantile } from './stats.js';

const [hubUrl, token, endpoint, tasksText, windowText] = process.argv.slice(2);
const TASKS = Number(tasksText);
const WINDOW = Number(windowText);
const BATCH = 10_000;
const SAMPLE_EVERY = 97;

const client = new HubClient({ hubUrl, token, transports: ['websocket'] });
await client.connect();
const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
let finals = 0;
let failed = 0;
const latencies: number[] = [];
let wake: (() => void) | undefined;
client.onTaskEvents((events: TaskEvent[]) => {
  const now = Date.now();
  for (const event of events) {
    if (event.type !== 'final') continue;
    if (event.state !== 'success') failed++;
    if (finals++ % SAMPLE_EVERY === 0 && event.timestamps.received !== undefined) latencies.push(now - event.timestamps.received);
  }
  wake?.();
});
const settle = () => new Promise<void>((resolve) => (wake = resolve));

process.send?.({ ready: true });
process.once('message', async () => {
  const batch = Array.from({ length: BATCH }, () => ({ function_id, endpoint }));
  const t0 = performance.now();
  let submitted = 0;
  while (submitted < TASKS) {
    while (submitted - finals >= WINDOW) await settle();
    const count = Math.min(BATCH, TASKS - submitted);
    await client.submitLive(count === BATCH ? batch : batch.slice(0, count));
    submitted += count;
  }
  while (finals < TASKS) await settle();
  const seconds = (performance.now() - t0) / 1000;
  process.send?.({ seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), failed });
  client.close();
});
