import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { connectClient, eventually, hubCli, startTestHub, type TestHub, type UserClient } from './support/hub.js';

describe('sharing across hubs on one Redis', () => {
  let redis: RedisProcess;
  let store: string;
  let a: TestHub;
  let b: TestHub;
  let bob: string;
  const sockets: UserClient[] = [];

  before(async () => {
    redis = await startRedis();
    store = `${redis.url}/1`;
    const options = { store, logLevel: process.env.FUNCX_TEST_LOG ?? 'error', localUser: 'alice' };
    a = await startTestHub(options);
    b = await startTestHub(options);
    const added = await hubCli(['users', 'add', 'bob', '--store', store]);
    assert.equal(added.code, 0, added.stderr);
    bob = added.stdout.trim();
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await a?.cleanup();
    await b?.cleanup();
    await cleanup();
  });

  const bobReads = async (hub: TestHub, functionId: string) => (await hub.call('GET', `/v1/functions/${functionId}`, undefined, bob)).statusCode;

  it("a function shared or unshared on one hub is seen so by the other within a couple of seconds", async () => {
    const functionId = (await a.call('POST', '/v1/functions', { name: 'f', source: 'pass' })).body.function_id as string;
    assert.equal(await bobReads(b, functionId), 403, 'hub B has now read (and cached) the private function');
    assert.equal((await a.call('PUT', `/v1/functions/${functionId}/sharing`, { users: ['bob'] })).statusCode, 200);
    await eventually(async () => ((await bobReads(b, functionId)) === 200 ? true : undefined), 'hub B to let bob read it', 2500);
    assert.equal((await a.call('PUT', `/v1/functions/${functionId}/sharing`, { users: [] })).statusCode, 200);
    await eventually(async () => ((await bobReads(b, functionId)) === 403 ? true : undefined), 'hub B to refuse bob again', 2500);
  });

  it('an endpoint unshared on one hub refuses submissions on the other within a couple of seconds', async () => {
    const functionId = (await a.call('POST', '/v1/functions', { name: 'e', source: 'pass' })).body.function_id as string;
    assert.equal((await a.call('PUT', `/v1/functions/${functionId}/sharing`, { public: true })).statusCode, 200);
    await a.call('POST', '/v1/endpoints', { name: 'lent' });
    assert.equal((await a.call('PUT', '/v1/endpoints/lent/sharing', { users: ['bob'] })).statusCode, 200);
    const submit = async () => (await b.call('POST', '/v1/tasks', { function_id: functionId, endpoint: 'alice/lent' }, bob)).statusCode;
    await eventually(async () => ((await submit()) === 202 ? true : undefined), 'hub B to run bob\'s task', 2500);
    assert.equal((await a.call('PUT', '/v1/endpoints/lent/sharing', { users: [] })).statusCode, 200);
    await eventually(async () => ((await submit()) === 404 ? true : undefined), 'hub B to refuse bob', 2500);
  });

  it('a task queued on one hub for an endpoint just deleted through another fails, it does not wait forever', async () => {
    await a.call('POST', '/v1/endpoints', { name: 'doomed' });
    assert.equal((await b.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'doomed' })).statusCode, 202, 'hub B has read the endpoint');
    assert.equal((await a.call('DELETE', '/v1/endpoints/doomed')).statusCode, 204);
    // Hub B still has the record it read for submissions (for up to a second): it takes the task.
    const late = await b.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'doomed' });
    assert.equal(late.statusCode, 202);
    const taskId = late.body.task_id as string;
    const failed = await eventually(async () => {
      const task = (await b.call('GET', `/v1/tasks/${taskId}`)).body;
      return task.state === 'failed' ? task : undefined;
    }, 'the late task to fail', 5000);
    assert.equal(failed.error.ename, 'EndpointDeleted');
    await eventually(async () => ((await b.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'doomed' })).statusCode === 404 ? true : undefined), 'hub B to refuse it', 2500);
  });

  it('a group made with funcx-hub on Redis shares with its members on every hub; its deletion takes that back', async () => {
    const functionId = (await a.call('POST', '/v1/functions', { name: 'g', source: 'pass' })).body.function_id as string;
    const created = await hubCli(['groups', 'create', 'team', '--member', 'bob', '--store', store]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await a.call('PUT', `/v1/functions/${functionId}/sharing`, { groups: ['team'] })).statusCode, 200);
    await eventually(async () => ((await bobReads(b, functionId)) === 200 ? true : undefined), 'hub B to see bob in team', 5000);
    const deleted = await hubCli(['groups', 'delete', 'team', '--store', store]);
    assert.equal(deleted.code, 0, deleted.stderr);
    // Hub B may answer from the record it read within the last second (its function cache).
    await eventually(
      async () => ((await b.call('GET', `/v1/functions/${functionId}`)).body.shared_with.groups.length === 0 ? true : undefined),
      'the CLI to take it out of the sharing lists',
      2500,
    );
    await eventually(async () => ((await bobReads(b, functionId)) === 403 ? true : undefined), 'hub B to refuse bob', 5000);
  });

  it('funcx-hub users revoke on Redis refuses the token on every hub at once and closes its sockets everywhere', async () => {
    const token = (await hubCli(['users', 'add', 'carol', '--store', store])).stdout.trim();
    const onA = await connectClient(a.url, token);
    const onB = await connectClient(b.url, token);
    sockets.push(onA, onB);
    const closed = new Set<string>();
    onA.on('disconnect', () => closed.add('a'));
    onB.on('disconnect', () => closed.add('b'));
    const revoked = await hubCli(['users', 'revoke', 'carol', '--store', store]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await a.call('GET', '/v1/functions', undefined, token)).statusCode, 401);
    assert.equal((await b.call('GET', '/v1/functions', undefined, token)).statusCode, 401);
    await eventually(async () => (closed.size === 2 ? true : undefined), 'both sockets to close', 5000);
  });

  it('a submission on one hub is in the audit log every hub and funcx-hub audit read, in the same Redis stream', async () => {
    const functionId = (await a.call('POST', '/v1/functions', { name: 'h', source: 'pass' })).body.function_id as string;
    await a.call('POST', '/v1/endpoints', { name: 'site' });
    const batch = await a.call('POST', '/v1/tasks/batch', { tasks: [{ function_id: functionId, endpoint: 'site' }, { function_id: functionId, endpoint: 'site' }] });
    assert.equal(batch.statusCode, 202);
    const entries = (await b.call('GET', '/v1/audit?limit=50')).body as AuditEntry[];
    const submitted = entries.filter((entry) => entry.action === 'task.submit' && entry.batch_id === batch.body.batch_id);
    assert.equal(submitted.length, 1);
    assert.equal(submitted[0].task_count, 2);
    assert.match(submitted[0].id, /^\d+-\d+$/);
    const run = await hubCli(['audit', '--limit', '2', '--store', store]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`alice\\s+task\\.submit\\s+rest\\s+\\S+\\s+2 tasks; function ${functionId}; batch ${batch.body.batch_id}`));
  });

  it('an endpoint group made through one hub routes on the other, to the members each user may use', async () => {
    const gaId = (await a.call('POST', '/v1/endpoints', { name: 'ga' })).body.endpoint_id as string;
    const gbId = (await a.call('POST', '/v1/endpoints', { name: 'gb', public: true })).body.endpoint_id as string;
    assert.equal((await a.call('POST', '/v1/endpoint-groups', { name: 'duo', endpoints: ['ga', 'gb'], policy: 'round-robin' })).statusCode, 201);
    assert.equal((await a.call('PUT', '/v1/endpoint-groups/duo/sharing', { users: ['bob'] })).statusCode, 200);
    const batch = await b.call('POST', '/v1/tasks/batch', { tasks: Array.from({ length: 4 }, () => ({ source: 'pass', endpoint: 'group:duo' })) });
    assert.equal(batch.statusCode, 202);
    const routed = await Promise.all((batch.body.task_ids as string[]).map(async (id) => (await b.call('GET', `/v1/tasks/${id}`)).body));
    assert.deepEqual(routed.map((task) => task.endpoint_id), [gaId, gbId, gaId, gbId]);
    assert.deepEqual(routed[0].routing, { policy: 'round-robin', reason: 'next in turn of 2', candidates: [gaId, gbId], group: 'group:duo' });
    const asBob = await b.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'group:alice/duo' }, bob);
    assert.equal(asBob.statusCode, 202);
    assert.equal((await a.call('GET', `/v1/tasks/${asBob.body.task_id}`, undefined, bob)).body.endpoint_id, gbId, 'ga is not shared with bob');
  });
});
