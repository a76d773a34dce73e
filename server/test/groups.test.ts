import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../src/users.js';
import { eventually, hubCli, startTestHub, type TestHub } from './support/hub.js';

let hub: TestHub;
let bob: string;
let carol: string;

before(async () => {
  hub = await startTestHub();
  bob = addUser(hub.dataDir, 'bob');
  carol = addUser(hub.dataDir, 'carol');
});
after(async () => {
  await hub.cleanup();
});

const cli = (...args: string[]) => hubCli([...args, '--data-dir', hub.dataDir]);

async function privateFunction(token?: string): Promise<string> {
  const response = await hub.call('POST', '/v1/functions', { name: 'f', source: 'pass' }, token);
  assert.equal(response.statusCode, 201);
  return response.body.function_id as string;
}

describe('groups', () => {
  it('an admin creates a group, changes its members and deletes it over REST; members see only their own groups', async () => {
    const created = await hub.call('POST', '/v1/groups', { name: 'physics', members: ['bob'] });
    assert.equal(created.statusCode, 201);
    assert.deepEqual(created.body.members, ['bob']);
    const changed = await hub.call('PUT', '/v1/groups/physics/members', { add: ['carol', 'alice'], remove: ['bob'] });
    assert.equal(changed.statusCode, 200);
    assert.deepEqual(changed.body.members, ['alice', 'carol']);
    await hub.call('POST', '/v1/groups', { name: 'chemistry', members: ['bob'] });
    const carols = await hub.call('GET', '/v1/groups', undefined, carol);
    assert.deepEqual(carols.body.map((group: { name: string }) => group.name), ['physics']);
    const all = await hub.call('GET', '/v1/groups');
    assert.deepEqual(all.body.map((group: { name: string }) => group.name), ['chemistry', 'physics'], 'an admin sees every group');
    assert.equal((await hub.call('DELETE', '/v1/groups/chemistry')).statusCode, 204);
    assert.equal((await hub.call('DELETE', '/v1/groups/chemistry')).statusCode, 404);
  });

  it('group members must be users of the hub: a 400 names every unknown one; a second group of a name is a 409', async () => {
    const response = await hub.call('POST', '/v1/groups', { name: 'ghosts', members: ['bob', 'nobody', 'noone'] });
    assert.equal(response.statusCode, 400);
    assert.match(response.body.message, /no user "nobody", "noone" on this hub/);
    assert.equal((await hub.call('GET', '/v1/groups')).body.some((group: { name: string }) => group.name === 'ghosts'), false);
    const added = await hub.call('PUT', '/v1/groups/physics/members', { add: ['nobody'] });
    assert.equal(added.statusCode, 400);
    assert.match(added.body.message, /no user "nobody"/);
    const twice = await hub.call('POST', '/v1/groups', { name: 'physics' });
    assert.equal(twice.statusCode, 409);
    assert.equal((await hub.call('PUT', '/v1/groups/nope/members', { add: ['bob'] })).statusCode, 404);
  });

  it('only admins change groups, and the 403 says an admin must', async () => {
    for (const [method, url, body] of [
      ['POST', '/v1/groups', { name: 'mine' }],
      ['PUT', '/v1/groups/physics/members', { add: ['bob'] }],
      ['DELETE', '/v1/groups/physics', undefined],
    ] as const) {
      const response = await hub.call(method, url, body, bob);
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.match(response.body.message, /Only a hub admin may (create|change|delete) groups: ask an admin/);
    }
  });

  it('groups changed with funcx-hub while the hub runs give and take access within seconds', async () => {
    const functionId = await privateFunction();
    const share = await hub.call('PUT', `/v1/functions/${functionId}/sharing`, { groups: ['physics'] });
    assert.equal(share.statusCode, 200);
    const bobCanRead = async () => (await hub.call('GET', `/v1/functions/${functionId}`, undefined, bob)).statusCode;
    assert.equal(await bobCanRead(), 403);

    const added = await cli('groups', 'add', 'physics', 'bob');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, 'physics: alice, bob, carol\n');
    await eventually(async () => ((await bobCanRead()) === 200 ? true : undefined), 'bob to gain access', 5000);

    const removed = await cli('groups', 'remove', 'physics', 'bob');
    assert.equal(removed.code, 0, removed.stderr);
    await eventually(async () => ((await bobCanRead()) === 403 ? true : undefined), 'bob to lose access', 5000);
  });

  it('funcx-hub groups create, list and delete; a deleted group leaves the sharing lists, so a new one of its name gets nothing', async () => {
    const created = await cli('groups', 'create', 'optics', '--member', 'bob', '--member', 'carol');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'optics: bob, carol\n');
    const listed = await cli('groups', 'list');
    assert.match(listed.stdout, /^NAME\s+MEMBERS\s+CREATED BY\s+CREATED\n/);
    assert.match(listed.stdout, /\noptics\s+bob, carol\s+/);

    const functionId = await privateFunction();
    await eventually(async () => ((await hub.call('PUT', `/v1/functions/${functionId}/sharing`, { groups: ['optics'] })).statusCode === 200 ? true : undefined), 'the hub to know optics');
    const deleted = await cli('groups', 'delete', 'optics');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'deleted group optics\n');
    await eventually(async () => {
      const fn = await hub.call('GET', `/v1/functions/${functionId}`);
      return fn.body.shared_with.groups.length === 0 ? true : undefined;
    }, 'optics to leave the sharing list', 5000);
    await cli('groups', 'create', 'optics', '--member', 'bob');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await hub.call('GET', `/v1/functions/${functionId}`, undefined, bob)).statusCode, 403);
  });

  it('a group deleted over REST leaves every sharing list at once', async () => {
    await hub.call('POST', '/v1/groups', { name: 'temporary', members: ['carol'] });
    const functionId = await privateFunction();
    await hub.call('PUT', `/v1/functions/${functionId}/sharing`, { groups: ['temporary', 'physics'] });
    assert.equal((await hub.call('DELETE', '/v1/groups/temporary')).statusCode, 204);
    const fn = await hub.call('GET', `/v1/functions/${functionId}`);
    assert.deepEqual(fn.body.shared_with.groups, ['physics']);
  });
});
