import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { FuncxError } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

describe('allowed_functions at the endpoint', () => {
  const allowed = randomUUID();
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager({
      size: 1,
      allowedFunctions: new Set([allowed]),
      configPath: '/site/.funcx/endpoints/lab/config.yaml',
    }));
  });
  after(() => manager.stop());

  const submit = (functionId: string) => {
    const taskId = randomUUID();
    manager.submit(
      [{ task_id: taskId, function_id: functionId, owner: 'alice', args: [], kwargs: {} }],
      [{ function_id: functionId, source: '"ran"' }],
    );
    return recorder.wait(taskId);
  };

  test('a listed function runs', async () => {
    assert.equal((await submit(allowed)).result?.value, 'ran');
  });

  test('a task of another function fails with FunctionNotPermitted, naming it and how to allow it', async () => {
    const other = randomUUID();
    const done = await submit(other);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'FunctionNotPermitted');
    assert.match(done.error!.evalue, new RegExp(`^function ${other} is not permitted on this endpoint`));
    assert.match(done.error!.evalue, /add .* there \(\/site\/\.funcx\/endpoints\/lab\/config\.yaml\) and restart the endpoint/);
  });
});

describe('allowed_functions from the config reach the hub', () => {
  test('the hub refuses a task of another function at submission, before it travels', async (t) => {
    const hub = await startHub({ funcxHome: makeTempDir('funcx-allowed-') });
    t.after(cleanup);
    const client = new HubClient({ hubUrl: hub.url, token: hub.token });
    t.after(() => client.close());
    const { function_id: permitted } = await client.registerFunction({ name: 'ok', source: '"ran"', language: 'python' });
    const { function_id: other } = await client.registerFunction({ name: 'other', source: '"ran"', language: 'python' });
    await startEndpoint(hub, { name: 'locked', workers: 1, config: { allowed_functions: [permitted] } });

    const ran = await client.waitForTask((await client.submit({ function_id: permitted, endpoint: 'locked' })).task_id);
    assert.equal(ran.result?.value, 'ran');
    await assert.rejects(client.submit({ function_id: other, endpoint: 'locked' }), (error: FuncxError) => {
      assert.equal(error.code, 'FUNCX_FUNCTION_NOT_PERMITTED');
      return true;
    });
    await assert.rejects(client.submit({ source: '"inline"', endpoint: 'locked' }), (error: FuncxError) => error.code === 'FUNCX_FUNCTION_NOT_PERMITTED');
  });
});
