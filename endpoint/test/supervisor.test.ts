import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord } from '@funcx/protocol';
import { cleanup, configureEndpoint, makeTempDir, startHub, waitFor, type EndpointProcess, type HubProcess } from '@funcx/testing';
import { afterDeath, FAST_FAILURE_MS, MAX_FAST_FAILURES, RESTART_DELAY_MS } from '../src/commands/supervise.js';

test('restarts wait 0.5 s, doubling while the daemon keeps dying soon after starting, then stop', () => {
  let fastFailures = 0;
  const delays: (number | undefined)[] = [];
  for (let i = 0; i < MAX_FAST_FAILURES; i++) {
    const next = afterDeath(fastFailures, 100);
    fastFailures = next.fastFailures;
    delays.push(next.delayMs);
  }
  assert.deepEqual(delays, [RESTART_DELAY_MS, 1000, 2000, 4000, undefined]);
  assert.deepEqual(afterDeath(3, FAST_FAILURE_MS + 1), { fastFailures: 0, delayMs: RESTART_DELAY_MS }, 'a long run starts afresh');
});

describe('a supervised daemon against a real hub', () => {
  let hub: HubProcess;
  let endpoint: EndpointProcess;
  let client: HubClient;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-supervisor-') });
    endpoint = await configureEndpoint(hub, { name: 'kept', workers: 1, supervised: true });
    await endpoint.start();
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(cleanup);

  test('a daemon killed with SIGKILL is started again and runs tasks', async () => {
    const first = endpoint.daemonPid();
    assert.ok(first);
    await endpoint.kill9();
    const second = await waitFor(() => {
      const pid = endpoint.daemonPid();
      return pid !== undefined && pid !== first && pid;
    }, { what: 'a new daemon', timeoutMs: 20_000 });
    await endpoint.process!.waitForOutput(/the daemon died \(signal SIGKILL\); restarting it in 0\.5 s/);
    const { task_id } = await client.submit({ source: '"after the restart"', endpoint: 'kept' });
    const done = (await waitFor(async () => {
      const task = await client.getTask(task_id);
      return ['success', 'failed'].includes(task.state) && task;
    }, { what: 'the task done', timeoutMs: 30_000 })) as TaskRecord;
    assert.equal(done.result?.value, 'after the restart');
    assert.notEqual(second, first);
  });

  test('stopping the supervisor stops its daemon', async () => {
    const daemon = endpoint.daemonPid()!;
    await endpoint.stop();
    assert.throws(() => process.kill(daemon, 0), 'the daemon is gone');
  });
});
