import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { configureEndpoint, makeTempDir } from '@funcx/testing';
import { funcx, join, startWorld, stopWorld, type World } from './support/world.js';

describe('funcx endpoint-groups and running on a group', { timeout: 120_000 }, () => {
  let world: World;
  let file: string;
  let bob: string;
  /** The hub's local user, who owns what the hub's own token makes. */
  const owner = userInfo().username;

  before(async () => {
    world = await startWorld({ workers: 2 });
    await configureEndpoint(world.hub, { name: 'other' }); // registered, never started: offline
    bob = await world.hub.addUser('bob');
    file = join(makeTempDir('funcx-groups-'), 'where.py');
    writeFileSync(file, 'import os\nos.getpid() > 0\n');
  });
  after(() => stopWorld(world));

  test('create prints the group with its endpoints and their status; list shows it', async () => {
    const created = await funcx(world, ['endpoint-groups', 'create', 'pair', 'local', 'other', '--policy', 'least-loaded']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^group      group:pair\nid         [0-9a-f-]{36}\npolicy     least-loaded\nendpoints  local, other \(offline\)\nsharing    private\n$/);
    const listed = await funcx(world, ['endpoint-groups', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^GROUP\\s+POLICY\\s+ENDPOINTS\\s+SHARING\\s+OWNER\\ngroup:pair\\s+least-loaded\\s+local, other\\s+private\\s+${owner}\\n$`));
  });

  test('run on group:NAME runs on the member that is online, and status says where it went and why', async () => {
    const submitted = await funcx(world, ['submit', file, '--endpoint', 'group:pair']);
    assert.equal(submitted.code, 0, submitted.stderr);
    const taskId = submitted.stdout.trim();
    const result = await funcx(world, ['result', taskId, '--wait']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'True\n');
    const status = await funcx(world, ['status', taskId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`\\nendpoint  local \\(${world.endpoint.endpointId}\\)\\n`));
    assert.match(status.stdout, /\nrouted    by least-loaded among group:pair\nreason    least loaded: 0 of 2 workers busy, 0 queued\namong     local, other\n/);

    const run = await funcx(world, ['run', file, '--endpoint', 'other', '--endpoint', 'local', '--policy', 'round-robin']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'True\n', 'of two endpoints named, the one online');
  });

  test('a policy that does not exist is refused before anything is sent, with the valid ones', async () => {
    const refused = await funcx(world, ['run', file, '--endpoint', 'group:pair', '--policy', 'fastest']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--policy must be one of random, round-robin, least-loaded, warming-aware \(got "fastest"\)/);
    const unknown = await funcx(world, ['run', file, '--endpoint', 'group:nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No endpoint group "nope"\. Endpoint groups you can use: group:pair \[FUNCX_ENDPOINT_GROUP_NOT_FOUND\]/);
  });

  test('share endpoint-group lets another user route to it, only to the endpoints they may use', async () => {
    const shared = await funcx(world, ['share', 'endpoint-group', 'pair', '--user', 'bob']);
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(shared.stdout, 'endpoint-group  pair\npublic          no\nusers           bob\ngroups          (none)\n');
    const asBob = { env: { FUNCX_TOKEN: bob } };
    const listed = await funcx(world, ['endpoint-groups'], asBob);
    assert.match(listed.stdout, new RegExp(`group:${owner}/pair\\s+least-loaded\\s+2 not shared with you\\s+users bob\\s+${owner}`));
    const refused = await funcx(world, ['run', file, '--endpoint', `group:${owner}/pair`], asBob);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /None of the 2 endpoints of group "group:.*\/pair" is one you may use: using a group does not share its endpoints/);
  });

  test('add, remove and set change the endpoints and the policy; delete keeps the endpoints', async () => {
    const removed = await funcx(world, ['endpoint-groups', 'remove', 'pair', 'other']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /\nendpoints  local\n/);
    const missing = await funcx(world, ['endpoint-groups', 'remove', 'pair', 'other']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /group:pair does not hold "other": it holds local/);
    assert.match((await funcx(world, ['endpoint-groups', 'add', 'group:pair', 'other'])).stdout, /\nendpoints  local, other \(offline\)\n/);
    const set = await funcx(world, ['endpoint-groups', 'set', 'pair', '--default-policy']);
    assert.match(set.stdout, /\npolicy     warming-aware \(the hub's default\)\n/);
    assert.equal((await funcx(world, ['endpoint-groups', 'set', 'pair'])).code, 2);
    const deleted = await funcx(world, ['endpoint-groups', 'delete', 'pair']);
    assert.equal(deleted.stdout, 'deleted endpoint group pair\n');
    assert.match((await funcx(world, ['endpoint-groups'])).stdout, /^no endpoint groups yet/);
    assert.match((await funcx(world, ['endpoints'])).stdout, /\nother\s/);
  });
});
