import { HubClient } from '@funcx/client';
import { cleanup, makeTempDir, startEndpoint, startHub } from '@funcx/testing';
import { DirectWorker } from './floor.js';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { breakdown } from './breakdown.js';
import { batchThroughputs, FinalWaiter, timedRoundTrips, warmUp } from './hub-bench.js';
import { latencyFigures, ms, quantile, rate } from './stats.js';
import { loadAverage } from './scale-cpu.js';

const { samples, batch, batches, workers, python } = benchOptions(2000);

async function benchHub() {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-bench-'), extraArgs: ['--rate-limit', '0'] }); // one task at a time, as fast as it can
  await startEndpoint(hub, { name: 'bench', workers, python });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
  await client.connect();
  const waiter = new FinalWaiter(client);
  const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
  const task = { function_id, endpoint: 'bench' };

  log('warming up the hub path…');
  await warmUp(client, waiter, task, batch);

  log(`hub: ${samples} round trips, one at a time…`);
  const trips = await timedRoundTrips(client, waiter, task, samples);
  const latency = latencyFigures(trips.map((trip) => trip.finalAt - trip.submitAt));
  const parts = breakdown(trips);
  log(`hub: ${batches} batches of ${batch}…`);
  const throughput = await batchThroughputs(client, waiter, task, batch, batches);
  if (waiter.failed > 0) throw new Error(`${waiter.failed} no-op tasks failed`);
  client.close();
  return { latency, throughput, breakdown: parts };
}

async function benchFloor() {
  const worker = await DirectWorker.start(python, NOOP_SOURCE, 'noop');
  try {
    log('floor: warming up one worker…');
    await worker.latencies(300);
    for (let i = 0; i < 3; i++) await worker.runBatch(batch, `w${i}`);
    log(`floor: ${samples} round trips and ${batches} batches of ${batch}…`);
    const latency = latencyFigures(await worker.latencies(samples));
    const rates: number[] = [];
    for (let i = 0; i < batches; i++) {
      const start = performance.now();
      await worker.runBatch(batch, `b${i}`);
      rates.push((batch * 1_000) / (performance.now() - start));
    }
    return { latency, throughput: quantile(rates, 0.5) };
  } finally {
    await worker.stop();
  }
}

try {
  const hub = await benchHub();
  await cleanup();
  const floor = await benchFloor();
  const rows = [
    ['', 'p50', 'p99', 'batch throughput'],
    [`hub + endpoint (${workers} workers), socket`, ms(hub.latency.p50), ms(hub.latency.p99), rate(hub.throughput.median)],
    ['floor: one worker through its pipe', ms(floor.latency.p50), ms(floor.latency.p99), rate(floor.throughput)],
    ['hub as a share of the floor', '', '', `${((hub.throughput.median / floor.throughput) * 100).toFixed(1)} %`],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
  console.log(`\nfuncX core benchmark: warm no-op function, ${samples} sequential round trips, batches of ${batch} tasks (the median of ${batches})`);
  console.log(`(node ${process.version}, ${python}, ${new Date().toISOString()}, load ${loadAverage()})\n`);
  console.log(lines.join('\n'));
  const { first, lowest, highest } = hub.throughput;
  console.log(`\nhub batches: first ${rate(first)}, lowest ${rate(lowest)}, highest ${rate(highest)}`);
  console.log('\nmedian breakdown of one round trip through the hub:');
  for (const [what, value] of hub.breakdown) console.log(`  ${what.padEnd(62)} ${ms(value)}`);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
