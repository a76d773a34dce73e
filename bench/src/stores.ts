import { HubClient } from '@funcx/client';
import type { TaskSubmission } from '@funcx/protocol';
import { cleanup, configureEndpoint, makeTempDir, startHub, startRedis, type HubProcess } from '@funcx/testing';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { FinalWaiter, hubLatencies, hubThroughput } from './hub-bench.js';
import { latencyFigures, ms, rate, type LatencyFigures } from './stats.js';

// The core benchmark (warm no-op: sequential round trips, then one large batch) on the embedded store, on the
// Redis store, and with two hubs on one Redis.

const { samples, batch, workers, python } = benchOptions(1000);

interface Figures {
  label: string;
  latency: LatencyFigures;
  throughput: number;
}

interface Side {
  client: HubClient;
  waiter: FinalWaiter;
  task: TaskSubmission;
}

/** A client on `clientHub` running the no-op on an endpoint `name` whose daemon is connected to `endpointHub`. */
async function side(clientHub: HubProcess, endpointHub: HubProcess, name: string): Promise<Side> {
  const endpoint = await configureEndpoint(endpointHub, { name, workers, python });
  await endpoint.start();
  const client = new HubClient({ hubUrl: clientHub.url, token: clientHub.token, transports: ['websocket'] });
  await client.connect();
  const waiter = new FinalWaiter(client);
  const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
  return { client, waiter, task: { function_id, endpoint: name } };
}

async function measure(label: string, { client, waiter, task }: Side): Promise<Figures> {
  log(`${label}: warming up…`);
  await hubLatencies(client, waiter, task, 200);
  await hubThroughput(client, waiter, task, Math.min(batch, 2_000));
  log(`${label}: ${samples} round trips, then a batch of ${batch}…`);
  const latency = latencyFigures(await hubLatencies(client, waiter, task, samples));
  const throughput = await hubThroughput(client, waiter, task, batch);
  if (waiter.failed > 0) throw new Error(`${label}: ${waiter.failed} no-op tasks failed`);
  return { label, latency, throughput };
}

/** Both sides submit half the batch at once; tasks per second from the first submit to the last final event. */
async function aggregateThroughput(sides: Side[]): Promise<number> {
  const half = Math.floor(batch / sides.length);
  for (const s of sides) await hubThroughput(s.client, s.waiter, s.task, Math.min(half, 2_000));
  const start = performance.now();
  const ends = await Promise.all(
    sides.map(async (s) => {
      const { task_ids } = await s.client.submitLive(Array.from({ length: half }, () => s.task));
      return s.waiter.waitAll(task_ids);
    }),
  );
  return (half * sides.length * 1_000) / (Math.max(...ends) - start);
}

/** The bench submits one task at a time as fast as it can: no rate limit. */
const UNLIMITED = ['--rate-limit', '0'];

async function run(): Promise<{ figures: Figures[]; aggregate: number }> {
  const figures: Figures[] = [];
  const closeAll = (sides: Side[]) => sides.forEach((s) => s.client.close());

  const memoryHub = await startHub({ funcxHome: makeTempDir('funcx-bench-memory-'), extraArgs: UNLIMITED });
  const memory = await side(memoryHub, memoryHub, 'bench-memory');
  figures.push(await measure('memory store, 1 hub', memory));
  closeAll([memory]);
  await cleanup();

  const redis = await startRedis();
  const store = ['--store', `${redis.url}/0`, ...UNLIMITED];
  const hubA = await startHub({ funcxHome: makeTempDir('funcx-bench-a-'), extraArgs: store });
  const single = await side(hubA, hubA, 'bench-redis');
  figures.push(await measure('redis store, 1 hub', single));

  const hubB = await startHub({ funcxHome: makeTempDir('funcx-bench-b-'), extraArgs: store });
  const across = await side(hubA, hubB, 'bench-across');
  figures.push(await measure('redis store, 2 hubs: client on A, endpoint on B', across));

  const onB = await side(hubB, hubB, 'bench-b');
  log('2 hubs, each with its own client and endpoint: both halves of a batch at once…');
  const aggregate = await aggregateThroughput([single, onB]);
  closeAll([single, across, onB]);
  return { figures, aggregate };
}

try {
  const { figures, aggregate } = await run();
  const rows = [
    ['', 'p50', 'p99', 'mean', 'batch throughput'],
    ...figures.map((f) => [f.label, ms(f.latency.p50), ms(f.latency.p99), ms(f.latency.mean), rate(f.throughput)]),
    ['redis store, 2 hubs, a client and an endpoint on each (aggregate)', '', '', '', rate(aggregate)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
  console.log(`\nfuncX stores benchmark: warm no-op, ${samples} sequential round trips, one batch of ${batch} tasks, ${workers} workers per endpoint`);
  console.log(`(node ${process.version}, ${python}, redis-server with appendonly yes / appendfsync everysec, ${new Date().toISOString()})\n`);
  console.log(lines.join('\n'));
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
