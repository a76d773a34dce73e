import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { HubClient } from '@funcx/client';
import type { FlowDefinition, FlowRunView } from '@funcx/protocol';
import {
  cleanup,
  configureEndpoint,
  makeTempDir,
  startActionProvider,
  startHub,
  startRedis,
  waitFor,
  type ActionProviderProcess,
  type HubProcess,
} from '@funcx/testing';

/** A funcX task that leaves a line per execution, so that running twice would show. */
const SQUARE = `import time

def square(v, log):
    time.sleep(0.3)
    with open(log, "a") as f:
        f.write(f"{v}\\n")
    return v * v
`;

const RUNS = 4;
const ITEMS = 4;

/**
 * Per item: a provider action that sleeps a second, then the square on the endpoint; then a Wait, then a last
 * provider action. Every action either ran once or not yet when the hub dies.
 */
function definition(providerUrl: string, functionId: string, log: string): FlowDefinition {
  return {
    Comment: 'survives its hub',
    StartAt: 'each',
    States: {
      each: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ItemProcessor: {
          StartAt: 'work',
          States: {
            work: { Type: 'Action', ActionUrl: providerUrl, Parameters: { op: 'sleep', seconds: 1, 'value.$': '$.v' }, ResultPath: '$.slept', Next: 'compute' },
            compute: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'site', function_id: functionId, 'args.=': `[v, "${log}"]` }, ResultPath: '$.square', End: true },
          },
        },
        ResultPath: '$.results',
        Next: 'pause',
      },
      pause: { Type: 'Wait', Seconds: 1, Next: 'finish' },
      finish: { Type: 'Action', ActionUrl: providerUrl, Parameters: { op: 'echo', 'count.=': '$count(results)' }, ResultPath: '$.finish', End: true },
    },
  };
}

interface Setup {
  client: HubClient;
  provider: ActionProviderProcess;
  runIds: string[];
  log: string;
}

/** Deploys the flow and starts RUNS runs of ITEMS items each through `client`. */
async function startRuns(client: HubClient, provider: ActionProviderProcess): Promise<Setup> {
  const log = join(makeTempDir('funcx-flow-log-'), 'executions.log');
  const { function_id } = await client.registerFunction({ name: 'square', language: 'python', entrypoint: 'square', source: SQUARE });
  const flow = await client.flows.deploy({ definition: definition(provider.url, function_id, log) });
  const runIds: string[] = [];
  for (let r = 0; r < RUNS; r++) {
    const items = Array.from({ length: ITEMS }, (_, i) => ({ v: r * 10 + i }));
    runIds.push((await client.flows.run(flow.flow_id, { input: { items } })).run_id);
  }
  return { client, provider, runIds, log };
}

/** Every run succeeded with the right results, and every action that reported done ran once. */
async function checkOnce({ client, provider, runIds, log }: Setup): Promise<FlowRunView[]> {
  const views = await Promise.all(runIds.map((id) => client.flows.waitForRun(id, { intervalMs: 200, timeoutMs: 90_000 })));
  for (const [r, view] of views.entries()) {
    assert.equal(view.status, 'SUCCEEDED', `run ${view.run_id}: ${JSON.stringify(view.error)}`);
    const output = view.output as { results: { v: number; square: { details: { result: number } } }[]; finish: { details: { count: number } } };
    assert.deepEqual(output.results.map((item) => item.square.details.result), Array.from({ length: ITEMS }, (_, i) => (r * 10 + i) ** 2));
    assert.equal(output.finish.details.count, ITEMS);
  }
  const stats = await provider.stats();
  const actions = RUNS * (ITEMS + 1);
  assert.equal(stats.started, actions, `each provider action started once (${stats.run_requests} run requests for ${actions} actions)`);
  assert.equal(stats.completed, actions);
  assert.ok(Object.values(stats.executions).every((count) => count === 1), JSON.stringify(stats.executions));
  const executions = readFileSync(log, 'utf8').trim().split('\n').map(Number);
  assert.equal(executions.length, RUNS * ITEMS, `each funcX action ran once: ${executions.sort((a, b) => a - b).join(' ')}`);
  assert.equal(new Set(executions).size, RUNS * ITEMS);
  for (const view of views) {
    const groups = view.events.filter((event) => event.type === 'action_started' && event.state === 'each/compute').length;
    assert.equal(groups, ITEMS, 'one task started per item');
  }
  process.stdout.write(`flows: ${RUNS} runs of ${ITEMS} items; provider: ${stats.run_requests} run requests for ${stats.started} actions, each run once; funcX: ${executions.length} executions for ${RUNS * ITEMS} tasks\n`);
  return views;
}

after(cleanup);

it('a hub killed with SIGKILL mid-flow and restarted carries on every run, running no action twice', { timeout: 180_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-flow-crash-'), extraArgs: ['--log-level', 'warn'] });
  const endpoint = await configureEndpoint(hub, { name: 'site', workers: 2, python: 'python3', timeoutMs: 30_000 });
  await endpoint.start();
  const provider = await startActionProvider();
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, requestTimeoutMs: 15_000 });
  try {
    const setup = await startRuns(client, provider);
    await waitFor(async () => (await provider.stats()).completed >= 3, { timeoutMs: 30_000, what: 'some provider actions to finish' });
    await hub.kill9();
    await hub.start();
    const views = await checkOnce(setup);
    assert.ok(views.some((view) => view.events.some((event) => event.type === 'run_resumed')), 'the restarted hub took the runs over');
  } finally {
    client.close();
  }
});

it('a hub killed with SIGKILL is replaced by another hub on the same Redis, which finishes its runs', { timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const hubs: HubProcess[] = [];
  for (let i = 0; i < 2; i++) {
    hubs.push(await startHub({ funcxHome: makeTempDir(`funcx-flow-hub${i}-`), store: `${redis.url}/0`, extraArgs: ['--log-level', 'warn', '--flow-lease', '2'] }));
  }
  // The endpoint is connected to the hub that survives; the runs start on the one that dies.
  const endpoint = await configureEndpoint(hubs[1], { name: 'site', workers: 2, python: 'python3', timeoutMs: 30_000 });
  await endpoint.start();
  const provider = await startActionProvider();
  const doomed = new HubClient({ hubUrl: hubs[0].url, token: hubs[0].token, requestTimeoutMs: 15_000 });
  const survivor = new HubClient({ hubUrl: hubs[1].url, token: hubs[1].token, requestTimeoutMs: 15_000 });
  try {
    const setup = await startRuns(doomed, provider);
    await waitFor(async () => (await provider.stats()).completed >= 3, { timeoutMs: 30_000, what: 'some provider actions to finish' });
    await hubs[0].kill9();
    const views = await checkOnce({ ...setup, client: survivor });
    const resumed = views.flatMap((view) => view.events.filter((event) => event.type === 'run_resumed'));
    assert.ok(resumed.length > 0, 'the surviving hub took the runs over');
  } finally {
    doomed.close();
    survivor.close();
  }
});

