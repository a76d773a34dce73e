import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addUser } from '../src/users.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, tempDir, waitFor } from './support/hub.js';

describe('a hub restarted on the same data dir', () => {
  it('keeps functions, endpoints, tokens and unfinished tasks, and runs them when the endpoint returns', async () => {
    const dir = tempDir();
    const first = await startTestHub({ dir });
    const fn = await first.call('POST', '/v1/functions', { name: 'double', source: 'def double(x):\n    return 2 * x\n', entrypoint: 'double' });
    const endpoint = await registerEndpoint(first, 'cluster');
    const bobToken = addUser(first.dataDir, 'bob');
    const waiting = await first.call('POST', '/v1/tasks', { function_id: fn.body.function_id, endpoint: 'cluster', args: [21] });
    const finishedTask = await first.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'cluster' });
    await first.call('POST', `/v1/tasks/${finishedTask.body.task_id}/cancel`);
    await first.stop();

    const second = await startTestHub({ dir });
    try {
      assert.equal(second.token, first.token, 'credentials.json keeps its valid token');
      assert.equal(JSON.parse(readFileSync(join(dir, 'home', 'credentials.json'), 'utf8')).hub_url, second.url);
      assert.equal(statSync(join(dir, 'home', 'credentials.json')).mode & 0o777, 0o600);
      assert.equal((await second.call('GET', `/v1/functions/${fn.body.function_id}`)).body.name, 'double');
      assert.equal((await second.call('GET', '/v1/endpoints/cluster')).body.endpoint_id, endpoint.endpoint_id);
      assert.equal((await second.call('GET', '/v1/functions', undefined, bobToken)).statusCode, 200);
      assert.equal((await second.call('GET', `/v1/tasks/${finishedTask.body.task_id}`)).body.state, 'cancelled');
      const task = (await second.call('GET', `/v1/tasks/${waiting.body.task_id}`)).body;
      assert.equal(task.state, 'waiting-for-endpoint');

      const socket = await connectEndpoint(second.url, endpoint.endpoint_token);
      const received = collect(socket);
      await waitFor(() => received.tasks.length === 1, 5000, 'dispatch after restart');
      assert.equal(received.tasks[0].task_id, waiting.body.task_id);
      assert.deepEqual(received.tasks[0].args, [21]);
      assert.equal(received.functions[0].entrypoint, 'double');
      socket.disconnect();
    } finally {
      await second.cleanup();
    }
  });

  it('re-queues a dispatched task the endpoint no longer holds after the restart', async () => {
    const dir = tempDir();
    const first = await startTestHub({ dir });
    const endpoint = await registerEndpoint(first, 'cluster');
    const socket = await connectEndpoint(first.url, endpoint.endpoint_token);
    const received = collect(socket);
    const taskId = (await first.call('POST', '/v1/tasks', { source: 'x', endpoint: 'cluster' })).body.task_id;
    await waitFor(() => received.tasks.length === 1);
    socket.disconnect();
    await first.stop();

    const second = await startTestHub({ dir });
    try {
      const again = await connectEndpoint(second.url, endpoint.endpoint_token, []);
      const resent = collect(again);
      await waitFor(() => resent.tasks.length === 1, 5000, 're-dispatch');
      assert.equal(resent.tasks[0].task_id, taskId);
      assert.equal((await second.call('GET', `/v1/tasks/${taskId}`)).body.attempts, 2);
      again.disconnect();
    } finally {
      await second.cleanup();
    }
  });

  it('accepts a user added while it runs', async () => {
    const hub = await startTestHub();
    try {
      const token = addUser(hub.dataDir, 'carol');
      const response = await hub.call('POST', '/v1/functions', { name: 'mine', source: 'pass' }, token);
      assert.equal(response.statusCode, 201);
      assert.equal((await hub.call('GET', `/v1/functions/${response.body.function_id}`, undefined, token)).body.owner, 'carol');
    } finally {
      await hub.cleanup();
    }
  });
});
