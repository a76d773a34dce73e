import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AuditEntry } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { connectClient, hubCli, registerEndpoint, startTestHub, type TestHub, type UserClient } from './support/hub.js';

let hub: TestHub;
let bob: string;
const sockets: UserClient[] = [];

before(async () => {
  hub = await startTestHub();
  bob = addUser(hub.dataDir, 'bob');
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

async function audit(query = '', token?: string): Promise<AuditEntry[]> {
  const response = await hub.call('GET', `/v1/audit${query}`, undefined, token);
  assert.equal(response.statusCode, 200, JSON.stringify(response.body));
  return response.body as AuditEntry[];
}

const last = async (action: string, query = '?limit=1000') => (await audit(query)).filter((entry) => entry.action === action).pop();

describe('the audit log', () => {
  it('records one entry per submission: who, on which endpoints, which functions, how many tasks, the batch', async () => {
    const { endpoint_id } = await registerEndpoint(hub, 'audited');
    const fn = (await hub.call('POST', '/v1/functions', { name: 'f', source: 'pass' })).body.function_id as string;
    const batch = await hub.call('POST', '/v1/tasks/batch', {
      tasks: Array.from({ length: 250 }, (_, i) => (i % 2 === 0 ? { function_id: fn, endpoint: 'audited' } : { source: 'pass', endpoint: endpoint_id })),
    });
    assert.equal(batch.statusCode, 202);
    const submitted = (await audit('?limit=1000')).filter((entry) => entry.action === 'task.submit');
    assert.equal(submitted.length, 1, 'one entry for the whole batch');
    const [entry] = submitted;
    assert.equal(entry.user, 'alice');
    assert.equal(entry.via, 'rest');
    assert.deepEqual(entry.endpoint_ids, [endpoint_id]);
    assert.equal(entry.function_ids?.length, 2);
    assert.ok(entry.function_ids?.includes(fn));
    assert.equal(entry.task_count, 250);
    assert.equal(entry.batch_id, batch.body.batch_id);
    assert.ok(Math.abs(entry.at - Date.now()) < 10_000);

    const single = await hub.call('POST', '/v1/tasks', { function_id: fn, endpoint: 'audited' });
    assert.equal((await last('task.submit'))?.task_id, single.body.task_id);

    const client = await connectClient(hub.url, hub.token);
    sockets.push(client);
    const live = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ function_id: fn, endpoint: 'audited' }] });
    assert.ok(!('error' in live));
    const socketEntry = await last('task.submit');
    assert.equal(socketEntry?.via, 'socket');
    assert.equal(socketEntry?.batch_id, live.batch_id);
  });

  it('a refused submission is not recorded', async () => {
    const before = (await audit('?limit=1000')).length;
    assert.equal((await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'nowhere' })).statusCode, 404);
    assert.equal((await audit('?limit=1000')).length, before);
  });

  it('records registrations, deletions, sharing, token and group changes', async () => {
    const fn = (await hub.call('POST', '/v1/functions', { name: 'g', source: 'pass' })).body.function_id as string;
    await hub.call('PUT', `/v1/functions/${fn}/sharing`, { users: ['bob'] });
    await hub.call('DELETE', `/v1/functions/${fn}`);
    const { endpoint_id } = await registerEndpoint(hub, 'short-lived');
    await hub.call('PUT', '/v1/endpoints/short-lived/sharing', { public: true });
    await hub.call('DELETE', '/v1/endpoints/short-lived');
    await hub.call('POST', '/v1/groups', { name: 'audited', members: ['bob'] });
    await hub.call('PUT', '/v1/groups/audited/members', { remove: ['bob'] });
    await hub.call('DELETE', '/v1/groups/audited');
    await hub.call('POST', '/v1/users', { name: 'carol' });
    await hub.call('POST', '/v1/users/carol/tokens', { revoke_others: true });
    await hub.call('DELETE', '/v1/users/carol/tokens');

    const entries = await audit('?limit=1000');
    const find = (action: string) => entries.filter((entry) => entry.action === action).pop();
    assert.deepEqual(find('function.register')?.function_ids, [fn]);
    assert.deepEqual(find('function.share')?.detail, { public: false, shared_with: { users: ['bob'], groups: [] } });
    assert.deepEqual(find('function.delete')?.function_ids, [fn]);
    assert.deepEqual(find('endpoint.register')?.endpoint_ids, [endpoint_id]);
    assert.equal((find('endpoint.share')?.detail as { public: boolean }).public, true);
    assert.deepEqual(find('endpoint.delete')?.endpoint_ids, [endpoint_id]);
    assert.equal(find('group.create')?.target, 'audited');
    assert.deepEqual(find('group.change')?.detail, { add: [], remove: ['bob'] });
    assert.equal(find('group.delete')?.target, 'audited');
    assert.equal(find('user.add')?.target, 'carol');
    assert.equal(find('token.rotate')?.target, 'carol');
    assert.deepEqual(find('token.revoke')?.detail, { revoked: 1 });
    assert.ok(entries.every((entry, i) => i === 0 || entries[i - 1].at <= entry.at), 'oldest first');
  });

  it('a user reads their own entries only; an admin reads everyone’s and filters by user and time', async () => {
    await hub.call('POST', '/v1/functions', { name: 'bobs', source: 'pass' }, bob);
    const own = await audit('', bob);
    assert.ok(own.length > 0 && own.every((entry) => entry.user === 'bob'));
    const refused = await hub.call('GET', '/v1/audit?user=alice', undefined, bob);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body.message, /Only a hub admin may read the audit entries of another user/);
    const bobs = await audit('?user=bob');
    assert.ok(bobs.length > 0 && bobs.every((entry) => entry.user === 'bob'));
    const since = Date.now();
    await hub.call('POST', '/v1/functions', { name: 'late', source: 'pass' });
    const recent = await audit(`?since=${since}`);
    assert.deepEqual(recent.map((entry) => entry.action), ['function.register']);
    assert.equal((await audit(`?since=${new Date(since).toISOString()}`)).length, 1, 'since may be a date');
    assert.equal((await audit('?limit=2')).length, 2);
    assert.equal((await hub.call('GET', '/v1/audit?limit=0')).statusCode, 400);
    assert.equal((await hub.call('GET', '/v1/audit?since=yesterday')).statusCode, 400);
  });

  it('funcx-hub audit reads the log while the hub runs, filtered by user, and records what the CLI does', async () => {
    const added = await hubCli(['users', 'add', 'dora', '--data-dir', hub.dataDir]);
    assert.equal(added.code, 0, added.stderr);
    const run = await hubCli(['audit', '--user', 'bob', '--limit', '5', '--data-dir', hub.dataDir]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^TIME\s+USER\s+ACTION\s+VIA\s+ENDPOINTS\s+WHAT$/);
    assert.ok(lines.length > 1 && lines.slice(1).every((line) => /^\S+\s+bob\s+/.test(line)), run.stdout);
    const all = await hubCli(['audit', '--limit', '3', '--data-dir', hub.dataDir]);
    assert.match(all.stdout, /\s+user\.add\s+cli\s+dora\n$/);
    assert.equal((await last('user.add'))?.target, 'dora', 'the hub reads what the CLI wrote');
  });
});
