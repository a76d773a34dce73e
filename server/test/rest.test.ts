import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_SUBMISSION_BYTES } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { registerEndpoint, startTestHub, type TestHub } from './support/hub.js';

const SOURCE = 'def add(a, b):\n    return a + b\n';

describe('REST API', () => {
  let hub: TestHub;
  let bobToken: string;

  before(async () => {
    hub = await startTestHub();
    bobToken = addUser(hub.dataDir, 'bob');
  });
  after(() => hub.cleanup());

  it('registers a function (201) and shows it to its owner (200)', async () => {
    const created = await hub.call('POST', '/v1/functions', { name: 'add', source: SOURCE, entrypoint: 'add', language: 'python' });
    assert.equal(created.statusCode, 201);
    assert.match(created.body.function_id, /^[0-9a-f-]{36}$/);
    const listed = await hub.call('GET', '/v1/functions');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.body.map((fn: { name: string }) => fn.name), ['add']);
    assert.equal(listed.body[0].source, undefined);
    const fetched = await hub.call('GET', `/v1/functions/${created.body.function_id}`);
    assert.equal(fetched.body.source, SOURCE);
    assert.equal(fetched.body.owner, 'alice');
  });

  it('answers a malformed JSON body with 400 saying what is wrong', async () => {
    const response = await hub.running.app.inject({
      method: 'POST',
      url: '/v1/functions',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
      payload: '{"name": "x", source: }',
    });
    assert.equal(response.statusCode, 400);
    const body = JSON.parse(response.body);
    assert.equal(body.code, 'FUNCX_BAD_REQUEST');
    assert.match(body.message, /not valid JSON/);
  });

  it('answers a schema violation with 400 naming the field', async () => {
    const missing = await hub.call('POST', '/v1/functions', { name: 'x' });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body.message, /source/);
    const unknown = await hub.call('POST', '/v1/functions', { name: 'x', source: 'pass', colour: 'red' });
    assert.equal(unknown.statusCode, 400);
    assert.match(unknown.body.message, /unknown field "colour"/);
    const wrongType = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'e', args: 'not-a-list' });
    assert.equal(wrongType.statusCode, 400);
    assert.match(wrongType.body.message, /body\/args must be array/);
    const badId = await hub.call('GET', '/v1/tasks/not-a-uuid');
    assert.equal(badId.statusCode, 400);
    assert.match(badId.body.message, /must be a UUID/);
  });

  it('answers 401 without a token and with an unknown one', async () => {
    const none = await hub.call('GET', '/v1/functions', undefined, null);
    assert.equal(none.statusCode, 401);
    assert.equal(none.body.code, 'FUNCX_UNAUTHORIZED');
    const wrong = await hub.call('GET', '/v1/functions', undefined, 'fxu_nonsense');
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.body.message, /not valid on this hub/);
  });

  it("answers 403 for another user's private function, endpoint and task", async () => {
    const fn = await hub.call('POST', '/v1/functions', { name: 'secret', source: 'pass' });
    const endpoint = await registerEndpoint(hub, 'alice-laptop');
    const task = await hub.call('POST', '/v1/tasks', { function_id: fn.body.function_id, endpoint: 'alice-laptop' });
    assert.equal(task.statusCode, 202);
    assert.equal((await hub.call('GET', `/v1/functions/${fn.body.function_id}`, undefined, bobToken)).statusCode, 403);
    assert.equal((await hub.call('GET', `/v1/endpoints/${endpoint.endpoint_id}`, undefined, bobToken)).statusCode, 403);
    const forbidden = await hub.call('GET', `/v1/tasks/${task.body.task_id}`, undefined, bobToken);
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.body.code, 'FUNCX_FORBIDDEN');
    const run = await hub.call('POST', '/v1/tasks', { function_id: fn.body.function_id, endpoint: endpoint.endpoint_id }, bobToken);
    assert.equal(run.statusCode, 403);
  });

  it('answers 404 for unknown functions, tasks and routes, listing usable endpoint names', async () => {
    await registerEndpoint(hub, 'cloud');
    const noEndpoint = await hub.call('POST', '/v1/tasks', { source: '1 + 1', endpoint: 'nowhere' });
    assert.equal(noEndpoint.statusCode, 404);
    assert.equal(noEndpoint.body.code, 'FUNCX_ENDPOINT_NOT_FOUND');
    assert.match(noEndpoint.body.message, /alice-laptop, cloud/);
    const noFunction = await hub.call('POST', '/v1/tasks', { function_id: '00000000-0000-4000-8000-000000000000', endpoint: 'cloud' });
    assert.equal(noFunction.statusCode, 404);
    assert.equal(noFunction.body.code, 'FUNCX_FUNCTION_NOT_FOUND');
    const noTask = await hub.call('GET', '/v1/tasks/00000000-0000-4000-8000-000000000000');
    assert.equal(noTask.body.code, 'FUNCX_TASK_NOT_FOUND');
    const noRoute = await hub.call('GET', '/v1/nothing-here');
    assert.equal(noRoute.statusCode, 404);
    assert.equal(noRoute.body.code, 'FUNCX_ROUTE_NOT_FOUND');
  });

  it('re-registering an endpoint name returns 200 with the same id and a new token', async () => {
    const first = await registerEndpoint(hub, 'rerun');
    const again = await hub.call('POST', '/v1/endpoints', { name: 'rerun', site: 'Somewhere', location: { lat: 1, lon: 2 } });
    assert.equal(again.statusCode, 200);
    assert.equal(again.body.endpoint_id, first.endpoint_id);
    assert.notEqual(again.body.endpoint_token, first.endpoint_token);
    const view = await hub.call('GET', '/v1/endpoints/rerun');
    assert.equal(view.body.site, 'Somewhere');
    assert.deepEqual(view.body.location, { lat: 1, lon: 2 });
    assert.equal(view.body.status.online, false);
  });

  it('submits a task (202) and a batch, then cancels a queued task, and a second cancel is 409', async () => {
    const single = await hub.call('POST', '/v1/tasks', { source: 'print(1)', endpoint: 'cloud', args: [], kwargs: {} });
    assert.equal(single.statusCode, 202);
    const record = await hub.call('GET', `/v1/tasks/${single.body.task_id}`);
    assert.equal(record.body.state, 'waiting-for-endpoint');
    assert.equal(typeof record.body.timestamps.received, 'number');
    const batch = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'print(1)', endpoint: 'cloud' }, { source: 'print(2)', endpoint: 'cloud' }] });
    assert.equal(batch.statusCode, 202);
    assert.equal(batch.body.task_ids.length, 2);
    const cancel = await hub.call('POST', `/v1/tasks/${single.body.task_id}/cancel`);
    assert.equal(cancel.statusCode, 200);
    assert.equal((await hub.call('GET', `/v1/tasks/${single.body.task_id}`)).body.state, 'cancelled');
    const again = await hub.call('POST', `/v1/tasks/${single.body.task_id}/cancel`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.body.code, 'FUNCX_TASK_FINISHED');
  });

  it('rejects a whole batch naming the bad task', async () => {
    const response = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'x', endpoint: 'cloud' }, { endpoint: 'cloud' }] });
    assert.equal(response.statusCode, 400);
    assert.match(response.body.message, /tasks\[1\]: Give either function_id/);
  });

  it('creates none of a large batch whose last task is bad', async () => {
    const queued = async () => (await hub.call('GET', '/v1/endpoints/cloud')).body.status.queued as number;
    const before = await queued();
    const tasks: object[] = Array.from({ length: 4_500 }, (_, i) => ({ source: 'pass', endpoint: 'cloud', args: [i] }));
    tasks.push({ source: 'pass', endpoint: 'nowhere' });
    const response = await hub.call('POST', '/v1/tasks/batch', { tasks });
    assert.equal(response.statusCode, 404);
    assert.match(response.body.message, /^tasks\[4500\]: /);
    assert.equal(await queued(), before);
  });

  it('gives inline source the same ephemeral function each time', async () => {
    const a = await hub.call('POST', '/v1/tasks', { source: 'print("same")', endpoint: 'cloud' });
    const b = await hub.call('POST', '/v1/tasks', { source: 'print("same")', endpoint: 'cloud' });
    const taskA = (await hub.call('GET', `/v1/tasks/${a.body.task_id}`)).body;
    const taskB = (await hub.call('GET', `/v1/tasks/${b.body.task_id}`)).body;
    assert.equal(taskA.function_id, taskB.function_id);
    const listed = await hub.call('GET', '/v1/functions');
    assert.ok(!listed.body.some((fn: { function_id: string }) => fn.function_id === taskA.function_id));
  });

  it('answers a body over the limit with 413 saying the limit', async () => {
    const response = await hub.call('POST', '/v1/functions', { name: 'big', source: 'x'.repeat(MAX_SUBMISSION_BYTES + 10) });
    assert.equal(response.statusCode, 413);
    assert.equal(response.body.code, 'FUNCX_PAYLOAD_TOO_LARGE');
    assert.match(response.body.message, /limit is 10 MiB/);
  });

  it('deletes a function (204) and then it is 404', async () => {
    const fn = await hub.call('POST', '/v1/functions', { name: 'gone', source: 'pass' });
    assert.equal((await hub.call('DELETE', `/v1/functions/${fn.body.function_id}`, undefined, bobToken)).statusCode, 403);
    assert.equal((await hub.call('DELETE', `/v1/functions/${fn.body.function_id}`)).statusCode, 204);
    assert.equal((await hub.call('GET', `/v1/functions/${fn.body.function_id}`)).statusCode, 404);
  });

  it('serves health and Prometheus metrics without a token, and OpenAPI at /docs', async () => {
    const health = await hub.call('GET', '/v1/health', undefined, null);
    assert.equal(health.statusCode, 200);
    assert.equal(health.body.status, 'ok');
    const metrics = await hub.running.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /funcx_tasks_submitted_total \d+/);
    const docs = await hub.running.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(docs.statusCode, 200);
    assert.ok(JSON.parse(docs.body).paths['/v1/tasks/batch']);
  });

  it('allows any origin (CORS) and serves the OpenAPI page', async () => {
    const preflight = await hub.running.app.inject({
      method: 'OPTIONS',
      url: '/v1/tasks',
      headers: { origin: 'http://localhost:8888', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], '*');
    const page = await hub.running.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger/i);
  });

  it('deletes an endpoint (204): its waiting tasks fail and its name is free again', async () => {
    await registerEndpoint(hub, 'doomed');
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'doomed' })).body.task_id;
    assert.equal((await hub.call('DELETE', '/v1/endpoints/doomed', undefined, bobToken)).statusCode, 404);
    assert.equal((await hub.call('DELETE', '/v1/endpoints/doomed')).statusCode, 204);
    const task = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(task.state, 'failed');
    assert.equal(task.error.ename, 'EndpointDeleted');
    assert.equal((await hub.call('GET', '/v1/endpoints/doomed')).statusCode, 404);
    assert.equal((await hub.call('POST', '/v1/endpoints', { name: 'doomed' })).statusCode, 201);
  });

  it('answers 429 once a token submits faster than the rate limit', async () => {
    const limited = await startTestHub({ rateLimit: 2 });
    try {
      await registerEndpoint(limited, 'e');
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await limited.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'e' })).statusCode);
      assert.deepEqual(codes.slice(0, 4), [202, 202, 202, 202]);
      assert.ok(codes.includes(429), `codes: ${codes}`);
    } finally {
      await limited.cleanup();
    }
  });
});
