import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cleanup, configureEndpoint, makeTempDir, startHub, waitFor, withTimeout } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';
import { spawnFuncx, workerPython } from './support/world.js';

after(cleanup);

test('a task for an offline endpoint waits in waiting-for-endpoint and runs when the endpoint starts', { timeout: 90_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  const endpoint = await configureEndpoint(hub, { name: 'later', workers: 1, python: workerPython() });
  assert.equal((await endpoint.view()).status.online, false);

  const client = new HubClient({ hubUrl: hub.url, token: hub.token });
  try {
    const { task_id } = await client.submit({ source: 'print("ran")\n21 * 2', endpoint: 'later' });
    const waiting = await waitFor(
      async () => {
        const task = await client.getTask(task_id);
        return task.state === 'waiting-for-endpoint' ? task : undefined;
      },
      { timeoutMs: 10_000, what: 'the task to wait for its endpoint' },
    );
    assert.equal(typeof waiting.timestamps['waiting-for-endpoint'], 'number');

    // Stays waiting while the endpoint is away.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await client.getTask(task_id)).state, 'waiting-for-endpoint');

    await endpoint.start();
    const done = await withTimeout(client.waitForTask(task_id), 30_000, 'the task after the endpoint started');
    assert.equal(done.state, 'success');
    assert.equal(done.result?.value, 42);
    assert.ok(done.timestamps.running! >= done.timestamps['waiting-for-endpoint']!);
  } finally {
    client.close();
  }
});

test('funcx run for an offline endpoint says it is waiting, then prints the result once the endpoint starts', { timeout: 90_000 }, async () => {
  const hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
  const endpoint = await configureEndpoint(hub, { name: 'sleepy', workers: 1, python: workerPython() });
  const dir = makeTempDir('funcx-files-');
  writeFileSync(join(dir, 'late.py'), 'print("ran late")\n"done"');
  const run = spawnFuncx({ hub }, ['run', join(dir, 'late.py'), '--endpoint', 'sleepy']);
  await run.waitForOutput(/waiting for its endpoint/, { stream: 'stderr', timeoutMs: 15_000 });
  await endpoint.start();
  const status = await run.waitForExit(30_000);
  assert.equal(status.code, 0, run.stderr);
  assert.equal(run.stdout, "ran late\n'done'\n");
});
