import { loadavg } from 'node:os';
import { HubClient } from '@funcx/client';
import { cleanup, makeTempDir, startEndpoint, startHub } from '@funcx/testing';
import { FinalWaiter, hubLatencies } from './hub-bench.js';
import { benchOptions, log } from './options.js';
import { latencyFigures, ms, quantile } from './stats.js';

/**
 * A repeated call of a pure function, answered by the hub from its memo, beside the same call run on the
 * endpoint each time. Printed, never asserted.
 */
const SQUARE = 'def square(x):\n    return x * x\n';
const { samples, python } = benchOptions(2000);

async function main() {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-bench-'), extraArgs: ['--rate-limit', '0'] });
  await startEndpoint(hub, { name: 'bench', workers: 2, python });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] });
  await client.connect();
  const waiter = new FinalWaiter(client);
  const pure = await client.registerFunction({ name: 'square', language: 'python', entrypoint: 'square', source: SQUARE, pure: true });
  const plain = await client.registerFunction({ name: 'square_plain', language: 'python', entrypoint: 'square', source: SQUARE });
  const cached = { function_id: pure.function_id, endpoint: 'bench', args: [12] };
  const ran = { function_id: plain.function_id, endpoint: 'bench', args: [12] };

  log('warming up…');
  await hubLatencies(client, waiter, cached, 300);
  await hubLatencies(client, waiter, ran, 300);
  log(`${samples} memoized repeats, one at a time…`);
  waiter.keepTimestamps = true;
  const repeats = latencyFigures(await hubLatencies(client, waiter, cached, samples));
  const atHub = [...waiter.timestamps.values()].map(({ stamps: t }) => (t.success ?? NaN) - (t.received ?? NaN)).filter(Number.isFinite);
  waiter.keepTimestamps = false;
  log(`${Math.min(samples, 1000)} runs on the endpoint, one at a time…`);
  const runs = latencyFigures(await hubLatencies(client, waiter, ran, Math.min(samples, 1000)));
  if (waiter.failed > 0) throw new Error(`${waiter.failed} tasks failed`);
  client.close();

  const rows: [string, string, string][] = [
    ['memoized repeat, at the hub (received -> success)', ms(quantile(atHub, 0.5)), ms(quantile(atHub, 0.99))],
    ['memoized repeat, client round trip (socket)', ms(repeats.p50), ms(repeats.p99)],
    ['the same call run on the endpoint, round trip', ms(runs.p50), ms(runs.p99)],
  ];
  const width = Math.max(...rows.map((row) => row[0].length));
  console.log(`memoization (${samples} samples; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  console.log(`${''.padEnd(width)}  ${'p50'.padStart(10)}  ${'p99'.padStart(10)}`);
  for (const [what, p50, p99] of rows) console.log(`${what.padEnd(width)}  ${p50.padStart(10)}  ${p99.padStart(10)}`);
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanup);
