import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { TaskEvent } from '@funcx/protocol';
import { cleanup, waitFor } from '@funcx/testing';
import { redisCli, sleep, startCluster, type Cluster } from './support/cluster.js';
import { describeTally, Ledger } from './support/ledger.js';

const TASKS = 1_000;
const BATCH = 50;

let cluster: Cluster | undefined;
after(async () => {
  for (const client of cluster?.clients ?? []) client.close();
  await cleanup();
});

it('loses nothing acknowledged when redis-server is killed with SIGKILL mid-run and restarted (appendfsync always)', { timeout: 240_000 }, async () => {
  cluster = await startCluster(2);
  const { redis, clients, functionId, executionLog } = cluster;
  // Every write is on disk before Redis answers it, so whatever a hub acknowledged survives a crash.
  redisCli(redis, 'CONFIG', 'SET', 'appendfsync', 'always');
  const ledger = new Ledger(clients);
  const acknowledgedBeforeCrash = new Map<string, unknown>();
  let crashed = false;
  clients[0].onTaskEvents((events: TaskEvent[]) => {
    for (const event of events) {
      if (event.type === 'final' && !crashed) acknowledgedBeforeCrash.set(event.task_id, event.result?.value ?? event.state);
    }
  });
  let submittedBeforeCrash = 0;

  const submitting = (async () => {
    for (let start = 0, n = 0; start < TASKS; start += BATCH, n++) {
      const args = Array.from({ length: BATCH }, (_, i) => start + i);
      await ledger.submit(n % 2, args, (i) => ({ function_id: functionId, endpoint: `site-${i % 2}`, args: [i, executionLog] }));
      if (!crashed) submittedBeforeCrash += BATCH;
      await sleep(100);
    }
  })();

  const crashing = (async () => {
    await sleep(1_200);
    crashed = true;
    await redis.kill9();
    await sleep(300);
    await redis.start();
    redisCli(redis, 'CONFIG', 'SET', 'appendfsync', 'always');
  })();

  await Promise.all([submitting, crashing]);
  await ledger.waitForAll(150_000);
  const tally = await ledger.tally(executionLog);
  console.log(
    describeTally('chaos: redis-server killed with SIGKILL and restarted mid-run', tally) +
      `\n  before the crash: ${submittedBeforeCrash} tasks acknowledged to clients, ${acknowledgedBeforeCrash.size} results announced`,
  );

  assert.ok(submittedBeforeCrash > 0 && acknowledgedBeforeCrash.size > 0, 'the crash came mid-run');
  assert.equal(tally.submitted, TASKS);
  assert.equal(tally.lost, 0, 'every acknowledged task ends in a final state');
  assert.equal(tally.conflicting, 0, 'no task has two different outcomes');
  assert.equal(tally.wrongValues, 0);
  assert.equal(tally.success, TASKS, 'no worker or daemon died: every task succeeds');
  for (const [taskId, value] of acknowledgedBeforeCrash) {
    const record = await clients[1].getTask(taskId);
    assert.equal(record.result?.value ?? record.state, value, `result of ${taskId} announced before the crash is kept`);
  }
  // A batch whose acknowledgement the crash swallowed was applied all the same, and the ledger sent it again under
  // new ids: those tasks run too (nothing is stuck) and may finish just after the ledger's own.
  await waitFor(() => redisCli(redis, 'SCARD', 'funcx:unfinished') === '0', { timeoutMs: 60_000, what: 'every task in Redis final' });
});
