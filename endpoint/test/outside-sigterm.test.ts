import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { waitFor } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { run, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

/** Starts a task that runs until killed, and sends its worker a SIGTERM the manager did not send. */
async function sigtermTheWorkerOfARunningTask(manager: Manager, recorder: Recorder): Promise<string> {
  const id = run(manager, 'import time\nprint("started", flush=True)\ntime.sleep(60)');
  await waitFor(() => recorder.streamText(id).includes('started'), { what: 'the task running', timeoutMs: 20_000 });
  const worker = manager.pool.workers.find((candidate) => candidate.assigned[0] === id)!;
  process.kill(worker.pid!, 'SIGTERM');
  await waitFor(() => !manager.pool.workers.includes(worker), { what: 'the manager to see its worker exit', timeoutMs: 10_000, intervalMs: 10 });
  return id;
}

test('a worker killed by a SIGTERM of someone else fails its task with WorkerDied while its manager runs on', { timeout: 60_000 }, async (t) => {
  const { manager, recorder } = await startManager({ size: 1, outsideSigtermGraceMs: 100 });
  t.after(() => manager.stop());
  const id = await sigtermTheWorkerOfARunningTask(manager, recorder);
  const done = await recorder.wait(id);
  assert.equal(done.state, 'failed');
  assert.equal(done.error?.ename, 'WorkerDied');
  assert.equal(done.error?.evalue, 'worker died (signal SIGTERM)');
});

test('a worker killed by SIGTERM as its manager is told to stop too (a batch system ending the block) fails nothing', { timeout: 60_000 }, async () => {
  const graceMs = 300;
  const { manager, recorder } = await startManager({ size: 1, outsideSigtermGraceMs: graceMs });
  const id = await sigtermTheWorkerOfARunningTask(manager, recorder);
  await manager.stop();
  // Past the grace: the task is not failed; the daemon, seeing the block gone, gives it back to the queue.
  await sleep(graceMs * 2);
  assert.equal(recorder.completions.get(id), undefined, JSON.stringify(recorder.completions.get(id)));
});
