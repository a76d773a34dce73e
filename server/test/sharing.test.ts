import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EndpointView } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import {
  connectClient,
  connectEndpoint,
  registerEndpoint,
  startTestHub,
  waitFor,
  type EndpointClient,
  type TestHub,
  type UserClient,
} from './support/hub.js';

let hub: TestHub;
let bob: string;
let carol: string;
let dave: string;
const sockets: (UserClient | EndpointClient)[] = [];

before(async () => {
  hub = await startTestHub({ groupRefreshMs: 200 });
  bob = addUser(hub.dataDir, 'bob');
  carol = addUser(hub.dataDir, 'carol');
  dave = addUser(hub.dataDir, 'dave');
  assert.equal((await hub.call('POST', '/v1/groups', { name: 'lab', members: ['carol'] })).statusCode, 201);
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

async function register(name: string, token?: string): Promise<string> {
  const response = await hub.call('POST', '/v1/functions', { name, source: 'pass' }, token);
  assert.equal(response.statusCode, 201);
  return response.body.function_id as string;
}

const run = (functionId: string, endpoint: string, token: string) => hub.call('POST', '/v1/tasks', { function_id: functionId, endpoint }, token);
const share = (functionId: string, body: object, token?: string) => hub.call('PUT', `/v1/functions/${functionId}/sharing`, body, token);

/** A client socket that keeps every endpoint status and removal it is sent. */
async function statusWatcher(token: string): Promise<{ seen: Map<string, EndpointView>; removed: string[] }> {
  const socket = await connectClient(hub.url, token);
  sockets.push(socket);
  const seen = new Map<string, EndpointView>();
  const removed: string[] = [];
  socket.on('endpoint:status', (views) => {
    for (const view of views) seen.set(view.endpoint_id, view);
  });
  socket.on('endpoint:removed', (ids) => {
    removed.push(...ids);
    for (const id of ids) seen.delete(id);
  });
  return { seen, removed };
}

describe('sharing functions', () => {
  it('a private function is refused to others until shared with them, and refused again once unshared', async () => {
    const functionId = await register('private');
    await hub.call('POST', '/v1/endpoints', { name: 'open', public: true });
    assert.equal((await run(functionId, 'alice/open', bob)).statusCode, 403);
    const shared = await share(functionId, { users: ['bob'] });
    assert.equal(shared.statusCode, 200);
    assert.deepEqual(shared.body, { public: false, shared_with: { users: ['bob'], groups: [] } });
    assert.equal((await run(functionId, 'alice/open', bob)).statusCode, 202);
    assert.equal((await run(functionId, 'alice/open', dave)).statusCode, 403, 'only the users named');
    assert.equal((await share(functionId, { users: [] })).statusCode, 200);
    const refused = await run(functionId, 'alice/open', bob);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body.message, /belongs to alice and is not shared with you/);
  });

  it('a function shared with a group runs for its members, is listed for them, and stops when a member leaves', async () => {
    const functionId = await register('for the lab');
    await share(functionId, { groups: ['lab'] });
    assert.equal((await hub.call('GET', `/v1/functions/${functionId}`, undefined, carol)).statusCode, 200);
    const listed = await hub.call('GET', '/v1/functions', undefined, carol);
    assert.ok(listed.body.some((fn: { function_id: string }) => fn.function_id === functionId), 'listed for a member');
    assert.ok(!(await hub.call('GET', '/v1/functions', undefined, dave)).body.some((fn: { function_id: string }) => fn.function_id === functionId));
    await hub.call('PUT', '/v1/groups/lab/members', { remove: ['carol'] });
    assert.equal((await hub.call('GET', `/v1/functions/${functionId}`, undefined, carol)).statusCode, 403, 'at once after a change through this hub');
    await hub.call('PUT', '/v1/groups/lab/members', { add: ['carol'] });
  });

  it('public and private flip with the sharing call; a field left out keeps its value', async () => {
    const functionId = await register('flip');
    await share(functionId, { users: ['bob'] });
    const made = await share(functionId, { public: true });
    assert.deepEqual(made.body, { public: true, shared_with: { users: ['bob'], groups: [] } });
    assert.equal((await hub.call('GET', `/v1/functions/${functionId}`, undefined, dave)).statusCode, 200);
    assert.equal((await share(functionId, { public: false })).body.public, false);
    assert.equal((await hub.call('GET', `/v1/functions/${functionId}`, undefined, dave)).statusCode, 403);
  });

  it('only the owner changes the sharing of a function, even one shared with them', async () => {
    const functionId = await register('owned');
    await share(functionId, { users: ['bob'] });
    const response = await share(functionId, { users: ['bob', 'dave'] }, bob);
    assert.equal(response.statusCode, 403);
    assert.match(response.body.message, /Only its owner \(alice\) may change or delete the sharing of function/);
  });

  it('unknown users and groups are a 400 that names each of them, and nothing changes', async () => {
    const functionId = await register('typos');
    const response = await share(functionId, { users: ['bob', 'bbo'], groups: ['lab', 'lba'] });
    assert.equal(response.statusCode, 400);
    assert.match(response.body.message, /this hub has no user "bbo" and no group "lba"/);
    assert.deepEqual((await hub.call('GET', `/v1/functions/${functionId}`)).body.shared_with, { users: [], groups: [] });
    const fields = await share(functionId, { admins: ['bob'] });
    assert.equal(fields.statusCode, 400);
    assert.match(fields.body.message, /unknown field "admins"/, 'admins are for endpoints');
  });
});

describe('sharing endpoints', () => {
  it('an endpoint shared with a user is listed for them and runs their tasks; others are refused', async () => {
    const { endpoint_id } = await registerEndpoint(hub, 'cluster');
    const functionId = await register('public fn');
    await share(functionId, { public: true });
    assert.equal((await run(functionId, 'alice/cluster', bob)).statusCode, 404);
    const shared = await hub.call('PUT', '/v1/endpoints/cluster/sharing', { users: ['bob'] });
    assert.equal(shared.statusCode, 200);
    assert.deepEqual(shared.body, { public: false, shared_with: { users: ['bob'], groups: [] }, admins: [] });
    const listed = (await hub.call('GET', '/v1/endpoints', undefined, bob)).body as EndpointView[];
    assert.ok(listed.some((endpoint) => endpoint.endpoint_id === endpoint_id));
    assert.equal((await run(functionId, 'alice/cluster', bob)).statusCode, 202);
    assert.equal((await run(functionId, endpoint_id, dave)).statusCode, 403);
    // Taken back through this hub: bob's very next submission is refused (by name and by id).
    assert.equal((await hub.call('PUT', '/v1/endpoints/cluster/sharing', { users: [] })).statusCode, 200);
    assert.equal((await run(functionId, 'alice/cluster', bob)).statusCode, 404);
    assert.equal((await run(functionId, endpoint_id, bob)).statusCode, 403);
  });

  it('the owner/name form changes sharing too, and a group shares an endpoint with its members', async () => {
    await registerEndpoint(hub, 'gpu', bob);
    const response = await hub.call('PUT', '/v1/endpoints/bob/gpu/sharing', { groups: ['lab'] }, bob);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.body.shared_with, { users: [], groups: ['lab'] });
    assert.equal((await hub.call('GET', '/v1/endpoints/bob/gpu', undefined, carol)).statusCode, 200);
    assert.equal((await hub.call('GET', '/v1/endpoints/bob/gpu', undefined, dave)).statusCode, 404);
  });

  it("an endpoint's admins change its sharing but not its admins, and may not delete it", async () => {
    await registerEndpoint(hub, 'shared-admin');
    assert.equal((await hub.call('PUT', '/v1/endpoints/shared-admin/sharing', { admins: ['bob'] })).statusCode, 200);
    const byAdmin = await hub.call('PUT', '/v1/endpoints/alice/shared-admin/sharing', { users: ['dave'], public: true }, bob);
    assert.equal(byAdmin.statusCode, 200);
    assert.deepEqual(byAdmin.body, { public: true, shared_with: { users: ['dave'], groups: [] }, admins: ['bob'] });
    const admins = await hub.call('PUT', '/v1/endpoints/alice/shared-admin/sharing', { admins: ['bob', 'dave'] }, bob);
    assert.equal(admins.statusCode, 403);
    assert.match(admins.body.message, /Only the owner of endpoint "shared-admin" \(alice\) may change its admins/);
    assert.equal((await hub.call('DELETE', '/v1/endpoints/alice/shared-admin', undefined, bob)).statusCode, 403);
    const byUser = await hub.call('PUT', '/v1/endpoints/alice/shared-admin/sharing', { public: false }, dave);
    assert.equal(byUser.statusCode, 403, 'a user it is shared with is no admin');
    assert.match(byUser.body.message, /Only the owner of endpoint "shared-admin" \(alice\) or one of its admins may change its sharing/);
  });

  it("status events reach the owner, shared users and group members, not others; losing access stops them", async () => {
    const { endpoint_token, endpoint_id } = await registerEndpoint(hub, 'watched');
    await hub.call('PUT', '/v1/endpoints/watched/sharing', { users: ['bob'], groups: ['lab'] });
    const [owner, shared, member, outsider] = await Promise.all([statusWatcher(hub.token), statusWatcher(bob), statusWatcher(carol), statusWatcher(dave)]);
    const daemon = await connectEndpoint(hub.url, endpoint_token);
    sockets.push(daemon);
    await waitFor(() => [owner, shared, member].every((watcher) => watcher.seen.get(endpoint_id)?.status.online === true), 3000, 'status to reach its audience');
    assert.equal(outsider.seen.has(endpoint_id), false);

    await hub.call('PUT', '/v1/endpoints/watched/sharing', { users: [] });
    await waitFor(() => shared.removed.includes(endpoint_id), 3000, 'bob to be told it is gone');
    assert.equal(member.removed.includes(endpoint_id), false, 'carol still sees it through the group');
    await hub.call('PUT', '/v1/groups/lab/members', { remove: ['carol'] });
    await waitFor(() => member.removed.includes(endpoint_id), 3000, 'carol to be told it is gone once she left the group');

    const load = { workers_total: 8, workers_busy: 3, queued: 0, running: 3, warm_images: [] };
    daemon.emit('heartbeat', load);
    await waitFor(() => owner.seen.get(endpoint_id)?.status.workers_total === 8, 3000, 'the owner to see the new load');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(shared.seen.has(endpoint_id), false, 'no more status for bob');
    assert.equal(member.seen.has(endpoint_id), false, 'no more status for carol');
    assert.equal(outsider.seen.has(endpoint_id), false);
    await hub.call('PUT', '/v1/groups/lab/members', { add: ['carol'] });
  });

  it('an endpoint made private again is removed for everyone but its audience', async () => {
    const { endpoint_id } = await registerEndpoint(hub, 'was-public');
    await hub.call('PUT', '/v1/endpoints/was-public/sharing', { public: true });
    const [outsider, shared] = await Promise.all([statusWatcher(dave), statusWatcher(bob)]);
    await hub.call('PUT', '/v1/endpoints/was-public/sharing', { public: false, users: ['bob'] });
    await waitFor(() => outsider.removed.includes(endpoint_id), 3000, 'dave to be told it is gone');
    await waitFor(() => shared.seen.has(endpoint_id), 3000, 'bob to get its status');
    assert.equal(shared.removed.includes(endpoint_id), false);
  });
});
