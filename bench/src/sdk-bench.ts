import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { HubClient } from '@funcx/client';
import { cleanup, makeTempDir, projectPython, repoRoot, runProcess, startEndpoint, startHub } from '@funcx/testing';
import { FinalWaiter, hubLatencies, hubThroughput } from './hub-bench.js';
import { log, NOOP_SOURCE } from './options.js';
import { latencyFigures, ms, rate } from './stats.js';

/**
 * `npm run bench:sdk`: the Python SDK beside the Node client, on one hub and endpoint in one run. Both do warm
 * round trips of a no-op one at a time (p50, p99), then a batch of no-ops: the Node client as one socket
 * submission, the SDK through Executor.map. Nothing is asserted; the figures are printed.
 */
const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    python: { type: 'string', default: projectPython() },
  },
});
const samples = Number(values.samples);
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const python = values.python!;

interface SdkFigures {
  round_trips_ms: number[];
  maps: { seconds: number; tasks_per_s: number; client_cpu_us_per_task: number; load: number }[];
  python: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-bench-sdk-'), extraArgs: ['--rate-limit', '0'] });
  await startEndpoint(hub, { name: 'bench', workers: Number(values.workers), python });

  const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
  await client.connect();
  const waiter = new FinalWaiter(client);
  const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
  const task = { function_id, endpoint: 'bench' };
  log('node: warming up…');
  await hubLatencies(client, waiter, task, 300);
  await hubThroughput(client, waiter, task, Math.min(batch, 2_000));
  log(`node: ${samples} round trips, one at a time…`);
  const nodeLoad = loadavg()[0];
  const node = latencyFigures(await hubLatencies(client, waiter, task, samples));
  const nodeBatches: number[] = [];
  for (let i = 0; i < rounds; i++) {
    log(`node: a batch of ${batch}…`);
    nodeBatches.push(await hubThroughput(client, waiter, task, batch));
  }
  client.close();

  const run = await runProcess(python, [join(repoRoot, 'bench', 'python', 'sdk_bench.py'), '--samples', String(samples), '--batch', String(batch), '--rounds', String(rounds)], {
    name: 'bench/python/sdk_bench.py',
    env: { ...hub.env(), PYTHONUNBUFFERED: '1' },
    timeoutMs: 600_000,
  });
  process.stderr.write(run.stderr);
  const sdk = JSON.parse(run.stdout) as SdkFigures;
  const sdkLatency = latencyFigures(sdk.round_trips_ms);
  const sdkMap = median(sdk.maps.map((m) => m.tasks_per_s));

  const rows = [
    ['', 'p50', 'p99', `batch of ${batch.toLocaleString('en-US')} (median of ${rounds})`],
    ['Node client (HubClient, socket)', ms(node.p50), ms(node.p99), rate(median(nodeBatches))],
    ['Python SDK (Executor: submit().result(), map)', ms(sdkLatency.p50), ms(sdkLatency.p99), rate(sdkMap)],
    ['Python / Node', `${(sdkLatency.p50 / node.p50).toFixed(2)} x`, `${(sdkLatency.p99 / node.p99).toFixed(2)} x`, `${((sdkMap / median(nodeBatches)) * 100).toFixed(0)} %`],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  console.log(`\nfuncX Python SDK benchmark: warm no-op, ${samples} sequential round trips, ${rounds} batches of ${batch} tasks`);
  console.log(`(node ${process.version}, Python ${sdk.python} at ${python}, ${new Date().toISOString()}, load ${nodeLoad.toFixed(1)})\n`);
  console.log(rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')).join('\n'));
  console.log('\nExecutor.map rounds:');
  for (const m of sdk.maps) {
    console.log(`  ${rate(m.tasks_per_s).padStart(16)} in ${m.seconds.toFixed(3)} s, client CPU ${m.client_cpu_us_per_task.toFixed(1)} µs/task, load ${m.load.toFixed(1)}`);
  }
  console.log(`Node batches: ${nodeBatches.map(rate).join(', ')}`);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
