import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord, TaskState } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, waitFor, type HubProcess } from '@funcx/testing';

describe('the endpoint daemon against a real hub', () => {
  let hub: HubProcess;
  let client: HubClient;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-endpoint-daemon-') });
    await startEndpoint(hub, { name: 'site', workers: 2 });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(cleanup);

  const submit = async (source: string, timeout_s?: number) =>
    (await client.submit({ source, endpoint: 'site', timeout_s })).task_id;
  const untilState = (taskId: string, states: TaskState[], timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const task = await client.getTask(taskId).catch(() => undefined);
        return task && states.includes(task.state) ? task : undefined;
      },
      { timeoutMs, intervalMs: 50, what: `task ${taskId} in ${states.join('/')}` },
    ) as Promise<TaskRecord>;

  test('a task that runs a while shows running, then succeeds with every timestamp', async () => {
    const id = await submit('import time\ntime.sleep(0.8)\n"slept"');
    const running = await untilState(id, ['running']);
    assert.ok(running.timestamps.running);
    const done = await untilState(id, ['success']);
    assert.equal(done.result?.value, 'slept');
    for (const state of ['received', 'waiting-for-launch', 'running', 'success'] as const) {
      assert.ok(done.timestamps[state], `timestamp of ${state}`);
    }
  });

  test('cancel through the hub stops a running task and the endpoint keeps working', async () => {
    const id = await submit('import time\ntime.sleep(60)');
    await untilState(id, ['running']);
    await client.cancelTask(id);
    const cancelled = await untilState(id, ['cancelled']);
    assert.equal(cancelled.state, 'cancelled');
    const next = await untilState(await submit('"after cancel"'), ['success']);
    assert.equal(next.result?.value, 'after cancel');
  });

  test('a timeout set on the task fails it with "timed out after N s"', async () => {
    const failed = await untilState(await submit('import time\ntime.sleep(60)', 1), ['failed']);
    assert.equal(failed.error?.evalue, 'timed out after 1 s');
  });

  test('results the hub receipts (on its dispatches, or alone) are forgotten: the daemon stops with none left to send', async () => {
    const endpoint = await startEndpoint(hub, { name: 'receipted', workers: 2 });
    const one = async (source: string) => (await client.submit({ source, endpoint: 'receipted' })).task_id;
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await one(`${i} * 2`));
    for (const id of ids) await untilState(id, ['success']);
    const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => one(`${i} + 1`)));
    for (const id of batch) await untilState(id, ['success']);
    await endpoint.stop();
    const output = endpoint.process!.output;
    assert.match(output, /stopping endpoint receipted/);
    assert.doesNotMatch(output, /not acknowledged by the hub/);
  });

  test('a result finished while the hub is down reaches it when the hub returns', async () => {
    const id = await submit('import time\ntime.sleep(1.5)\n"survived"');
    await untilState(id, ['running']);
    await hub.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await hub.start();
    const done = await untilState(id, ['success'], 40_000);
    assert.equal(done.result?.value, 'survived');
    assert.equal(done.attempts, 1, 'the task was not run again');
  });
});
