import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TaskRecord } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { registerEndpoint, startTestHub, type TestHub } from './support/hub.js';

let hub: TestHub;
let bob: string;
let carol: string;
let dave: string;
const ids: Record<string, string> = {};

before(async () => {
  hub = await startTestHub({ groupRefreshMs: 200 });
  bob = addUser(hub.dataDir, 'bob');
  carol = addUser(hub.dataDir, 'carol');
  dave = addUser(hub.dataDir, 'dave');
  assert.equal((await hub.call('POST', '/v1/groups', { name: 'lab', members: ['carol'] })).statusCode, 201);
  ids.mine = (await registerEndpoint(hub, 'mine')).endpoint_id; // alice's, shared with nobody
  ids.open = (await hub.call('POST', '/v1/endpoints', { name: 'open', public: true })).body.endpoint_id; // alice's, public
  ids.bobs = (await registerEndpoint(hub, 'bobs', bob)).endpoint_id; // bob's, private
  ids.forAlice = (await registerEndpoint(hub, 'for-alice', bob)).endpoint_id;
  assert.equal((await hub.call('PUT', '/v1/endpoints/for-alice/sharing', { users: ['alice'] }, bob)).statusCode, 200);
});
after(async () => {
  await hub.cleanup();
});

const create = (body: object, token?: string) => hub.call('POST', '/v1/endpoint-groups', body, token);
const submit = (endpoint: string, token?: string) => hub.call('POST', '/v1/tasks', { source: 'pass', endpoint }, token);
const task = async (taskId: string): Promise<TaskRecord> => (await hub.call('GET', `/v1/tasks/${taskId}`)).body;

describe('endpoint groups', () => {
  it('are created from endpoints you can use, by any of the names you write them with, and shown with their members', async () => {
    const created = await create({ name: 'pair', endpoints: ['mine', 'bob/for-alice', ids.open, 'mine'], policy: 'round-robin' });
    assert.equal(created.statusCode, 201);
    const group = created.body;
    assert.equal(group.ref, 'group:pair');
    assert.equal(group.owner, 'alice');
    assert.equal(group.policy, 'round-robin');
    assert.deepEqual(group.endpoints, [ids.mine, ids.forAlice, ids.open], 'each endpoint once, in order');
    assert.deepEqual(group.members, [
      { endpoint_id: ids.mine, usable: true, ref: 'mine', online: false },
      { endpoint_id: ids.forAlice, usable: true, ref: 'bob/for-alice', online: false },
      { endpoint_id: ids.open, usable: true, ref: 'open', online: false },
    ]);
    for (const ref of ['pair', 'group:pair', group.group_id, 'alice/pair']) {
      const shown = await hub.call('GET', `/v1/endpoint-groups/${encodeURIComponent(ref)}`);
      assert.equal(shown.statusCode, 200, ref);
      assert.equal(shown.body.group_id, group.group_id);
    }
    assert.equal((await hub.call('GET', '/v1/endpoint-groups/alice/pair')).body.group_id, group.group_id);
    assert.deepEqual((await hub.call('GET', '/v1/endpoint-groups')).body.map((g: { name: string }) => g.name), ['pair']);
  });

  it("may not hold an endpoint its owner cannot use, and says which one; a name is one owner's once", async () => {
    const refused = await create({ name: 'grab', endpoints: ['mine', 'bob/bobs'] });
    assert.equal(refused.statusCode, 404);
    assert.match(refused.body.message, /^endpoints\[1\]: No endpoint "bob\/bobs"\. Endpoints you can use: .*; a group holds only endpoints you can use$/);
    const byId = await create({ name: 'grab', endpoints: [ids.bobs] });
    assert.equal(byId.statusCode, 403);
    assert.match(byId.body.message, /^endpoints\[0\]: Endpoint "bobs" belongs to bob and is not shared with you/);
    assert.equal((await create({ name: 'pair', endpoints: [] })).statusCode, 409, 'alice has a pair');
    assert.equal((await create({ name: 'pair', endpoints: ['bobs'] }, bob)).statusCode, 201, 'bob may have one too');
    const badName = await create({ name: 'a/b', endpoints: [] });
    assert.equal(badName.statusCode, 400);
    assert.match(badName.body.message, /body\/name is not a valid endpoint group name: use 1 to 64 letters/);
  });

  it('its owner replaces its endpoints and its policy; nobody else may, nor delete it', async () => {
    const changed = await hub.call('PUT', '/v1/endpoint-groups/pair', { endpoints: ['open', 'mine'], policy: null });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(changed.body.endpoints, [ids.open, ids.mine]);
    assert.equal(changed.body.policy, undefined, 'null: the hub default');
    assert.equal((await hub.call('PUT', '/v1/endpoint-groups/pair', { policy: 'least-loaded' })).body.policy, 'least-loaded');
    await hub.call('PUT', '/v1/endpoint-groups/pair/sharing', { users: ['bob'] });
    const byBob = await hub.call('PUT', '/v1/endpoint-groups/alice/pair', { endpoints: ['bobs'] }, bob);
    assert.equal(byBob.statusCode, 403);
    assert.match(byBob.body.message, /Only its owner \(alice\) may change or delete endpoint group "pair"/);
    assert.equal((await hub.call('DELETE', '/v1/endpoint-groups/alice/pair', undefined, bob)).statusCode, 403);
    assert.equal((await hub.call('PUT', '/v1/endpoint-groups/alice/pair/sharing', { public: true }, bob)).statusCode, 403);
  });
});

describe('who may route to an endpoint group', () => {
  it('a user it is shared with routes only to the members they may use, and sees the others unnamed', async () => {
    // pair: open (public) and mine (alice's alone); shared with bob above.
    const shown = await hub.call('GET', '/v1/endpoint-groups/alice/pair', undefined, bob);
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.body.ref, 'group:alice/pair');
    assert.deepEqual(shown.body.members, [
      { endpoint_id: ids.open, usable: true, ref: 'alice/open', online: false },
      { endpoint_id: ids.mine, usable: false },
    ]);
    for (let i = 0; i < 4; i++) {
      const submitted = await submit('group:alice/pair', bob);
      assert.equal(submitted.statusCode, 202);
      const routed = (await hub.call('GET', `/v1/tasks/${submitted.body.task_id}`, undefined, bob)).body as TaskRecord;
      assert.equal(routed.endpoint_id, ids.open, 'never to mine');
      assert.deepEqual(routed.routing?.candidates, [ids.open]);
      assert.equal(routed.routing?.group, 'group:alice/pair');
    }
    const bare = await submit('group:pair', bob);
    assert.equal(bare.statusCode, 202);
    assert.equal((await hub.call('GET', `/v1/tasks/${bare.body.task_id}`, undefined, bob)).body.endpoint_id, ids.bobs, "a bare name is bob's own group");
  });

  it('a group whose every member is closed to the user is a 403 that says sharing a group shares no endpoint', async () => {
    await create({ name: 'private-only', endpoints: ['mine'] });
    await hub.call('PUT', '/v1/endpoint-groups/private-only/sharing', { users: ['bob'] });
    const refused = await submit('group:alice/private-only', bob);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body.message, /None of the 1 endpoints of group "group:alice\/private-only" is one you may use: using a group does not share its endpoints/);
  });

  it('a group shared with a user group is for its members; public, for everyone; otherwise 404 by name and 403 by id', async () => {
    const lab = (await create({ name: 'for-lab', endpoints: ['open'] })).body;
    await hub.call('PUT', '/v1/endpoint-groups/for-lab/sharing', { groups: ['lab'] });
    assert.equal((await submit('group:alice/for-lab', carol)).statusCode, 202, 'carol is in lab');
    assert.equal((await submit('group:alice/for-lab', dave)).statusCode, 404);
    const byId = await submit(`group:${lab.group_id}`, dave);
    assert.equal(byId.statusCode, 403);
    assert.match(byId.body.message, /Endpoint group "for-lab" belongs to alice and is not shared with you/);
    const shared = await hub.call('PUT', '/v1/endpoint-groups/for-lab/sharing', { public: true });
    assert.deepEqual(shared.body, { public: true, shared_with: { users: [], groups: ['lab'] } });
    assert.equal((await submit('group:alice/for-lab', dave)).statusCode, 202);
    const bare = await submit('group:for-lab', dave);
    assert.equal(bare.statusCode, 404, "a bare name never means another user's group");
    assert.match(bare.body.message, /You have no endpoint group named "for-lab"; one is shared with you under that name: use "group:alice\/for-lab"/);
    assert.ok((await hub.call('GET', '/v1/endpoint-groups', undefined, dave)).body.some((g: { group_id: string }) => g.group_id === lab.group_id));
    const typo = await hub.call('PUT', '/v1/endpoint-groups/for-lab/sharing', { users: ['bbo'] });
    assert.equal(typo.statusCode, 400);
    assert.match(typo.body.message, /this hub has no user "bbo"/);
  });

  it('a deleted user group leaves the sharing of endpoint groups; a deleted endpoint leaves every endpoint group', async () => {
    assert.equal((await hub.call('POST', '/v1/groups', { name: 'short-lived', members: ['dave'] })).statusCode, 201);
    await create({ name: 'with-temp', endpoints: ['open', 'mine'] });
    await hub.call('PUT', '/v1/endpoint-groups/with-temp/sharing', { groups: ['short-lived'] });
    assert.equal((await hub.call('DELETE', '/v1/groups/short-lived')).statusCode, 204);
    assert.deepEqual((await hub.call('GET', '/v1/endpoint-groups/with-temp')).body.shared_with, { users: [], groups: [] });
    const temp = (await registerEndpoint(hub, 'temp')).endpoint_id;
    await hub.call('PUT', '/v1/endpoint-groups/with-temp', { endpoints: ['open', 'temp'] });
    assert.equal((await hub.call('DELETE', `/v1/endpoints/${temp}`)).statusCode, 204);
    assert.deepEqual((await hub.call('GET', '/v1/endpoint-groups/with-temp')).body.endpoints, [ids.open]);
  });

  it('deleting a group keeps its endpoints and frees its name; tasks routed before keep their routing', async () => {
    await create({ name: 'gone-soon', endpoints: ['open'] });
    const before = (await submit('group:gone-soon')).body.task_id as string;
    assert.equal((await hub.call('DELETE', '/v1/endpoint-groups/gone-soon')).statusCode, 204);
    assert.equal((await hub.call('GET', '/v1/endpoint-groups/gone-soon')).statusCode, 404);
    assert.equal((await hub.call('GET', '/v1/endpoints/open')).statusCode, 200);
    assert.equal((await task(before)).routing?.group, 'group:gone-soon');
    assert.equal((await create({ name: 'gone-soon', endpoints: [] })).statusCode, 201);
  });

  it('every change is in the audit log, and a submission names the groups it was routed through', async () => {
    const entries = (await hub.call('GET', '/v1/audit?limit=200')).body as { action: string; target?: string; detail?: { endpoint_groups?: string[] } }[];
    const actions = entries.filter((entry) => entry.target === 'alice/pair').map((entry) => entry.action);
    assert.deepEqual(actions, ['endpoint_group.create', 'endpoint_group.change', 'endpoint_group.change', 'endpoint_group.share']);
    assert.ok(entries.some((entry) => entry.action === 'task.submit' && entry.detail?.endpoint_groups?.[0] === 'group:gone-soon'));
    assert.ok(entries.some((entry) => entry.action === 'endpoint_group.delete' && entry.target === 'alice/gone-soon'));
  });
});

describe('endpoint groups after a restart', () => {
  it('are kept by the embedded store, with their sharing', async () => {
    const dir = hub.dir;
    await hub.stop();
    hub = await startTestHub({ dir });
    const shown = await hub.call('GET', '/v1/endpoint-groups/alice/pair', undefined, bob);
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(shown.body.endpoints, [ids.open, ids.mine]);
    assert.equal(shown.body.policy, 'least-loaded');
    assert.equal((await submit('group:alice/pair', bob)).statusCode, 202);
  });
});
