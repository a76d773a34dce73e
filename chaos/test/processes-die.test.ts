import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { cleanup } from '@funcx/testing';
import { sleep, startCluster, workerPids, redisCli, type Cluster } from './support/cluster.js';
import { describeTally, Ledger } from './support/ledger.js';

const TASKS = 2_000;
const BATCH = 50;

let cluster: Cluster | undefined;
after(async () => {
  for (const client of cluster?.clients ?? []) client.close();
  await cleanup();
});

it('loses no task and records one result each while a hub, an endpoint daemon and a worker are killed with SIGKILL', { timeout: 240_000 }, async () => {
  cluster = await startCluster(2);
  const { hubs, endpoints, clients, functionId, executionLog, redis } = cluster;
  const ledger = new Ledger(clients);
  const chaos: string[] = [];

  const submitting = (async () => {
    for (let start = 0, n = 0; start < TASKS; start += BATCH, n++) {
      const args = Array.from({ length: BATCH }, (_, i) => start + i);
      // Batches alternate between the clients of the two hubs, tasks between the two endpoints.
      await ledger.submit(n % 2, args, (i) => ({ function_id: functionId, endpoint: `site-${i % 2}`, args: [i, executionLog] }));
      await sleep(100);
    }
  })();

  const killing = (async () => {
    await sleep(800);
    const [worker] = workerPids(endpoints[0]);
    assert.ok(worker, 'endpoint site-0 has worker processes');
    process.kill(worker, 'SIGKILL');
    chaos.push(`worker ${worker} of site-0`);

    await sleep(700);
    await hubs[0].kill9();
    chaos.push('hub 0');
    await sleep(300);
    await hubs[0].start();

    await sleep(800);
    await endpoints[1].kill9();
    chaos.push('endpoint daemon site-1');
    await sleep(300);
    await endpoints[1].start();
  })();

  await Promise.all([submitting, killing]);
  await ledger.waitForAll(150_000);
  const tally = await ledger.tally(executionLog);
  console.log(`${describeTally(`chaos: 2 hubs, 2 endpoints, killed with SIGKILL: ${chaos.join(', ')}`, tally)}`);

  assert.deepEqual(chaos.length, 3);
  assert.equal(tally.submitted, TASKS);
  assert.equal(tally.lost, 0, 'every task ends in a final state');
  assert.equal(tally.conflicting, 0, 'no task has two different outcomes');
  assert.equal(tally.wrongValues, 0);
  assert.equal(tally.success + Object.values(tally.failed).reduce((a, b) => a + b, 0), TASKS);
  for (const reason of Object.keys(tally.failed)) assert.ok(['WorkerDied', 'TaskLost'].includes(reason), `unexpected failure ${reason}`);
  assert.ok(tally.executions >= tally.success, 'every success was executed');
  assert.equal(redisCli(redis, 'SCARD', 'funcx:unfinished'), '0', 'nothing is left unfinished in Redis');
});
