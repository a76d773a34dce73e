import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { cleanup, makeTempDir, runProcess, bin, startHub, type HubProcess } from '@funcx/testing';
import { funcx, join } from './support/world.js';

describe('funcx share and unshare', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  let bob: string;
  let functionId: string;
  const asBob = () => ({ env: { FUNCX_TOKEN: bob } });
  /** The hub's local user, who owns what the hub's own token registers. */
  const owner = userInfo().username;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-share-') });
    bob = await hub.addUser('bob');
    await hub.addUser('carol');
    await runProcess(process.execPath, [bin.hub, 'groups', 'create', 'lab', '--member', 'carol', '--data-dir', hub.dataDir], { name: 'groups create', env: hub.env() });
    const dir = makeTempDir('funcx-share-files-');
    const file = join(dir, 'double.py');
    writeFileSync(file, 'def double(x):\n    return 2 * x\n');
    functionId = (await funcx({ hub }, ['register', file, '--entrypoint', 'double'])).stdout.trim();
  });
  after(() => cleanup());

  test('share function adds users and groups and prints the sharing; the user can then read it', async () => {
    assert.equal((await funcx({ hub }, ['functions'], asBob())).stdout.includes(functionId), false);
    const shared = await funcx({ hub }, ['share', 'function', functionId, '--user', 'bob', '--group', 'lab']);
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(shared.stdout, `function  ${functionId}\npublic    no\nusers     bob\ngroups    lab\n`);
    const listed = await funcx({ hub }, ['functions'], asBob());
    assert.match(listed.stdout, new RegExp(`double\\s+${functionId}\\s+double\\s+users bob; groups lab\\s+`));
  });

  test('unshare function removes a user; --public and --private flip it; share without flags only prints', async () => {
    const unshared = await funcx({ hub }, ['unshare', 'function', functionId, '--user', 'bob']);
    assert.equal(unshared.code, 0, unshared.stderr);
    assert.match(unshared.stdout, /\nusers     \(none\)\ngroups    lab\n$/);
    assert.equal((await funcx({ hub }, ['functions'], asBob())).stdout.includes(functionId), false);
    assert.match((await funcx({ hub }, ['share', 'function', functionId, '--public'])).stdout, /\npublic    yes\n/);
    assert.equal((await funcx({ hub }, ['functions'], asBob())).stdout.includes(functionId), true);
    assert.match((await funcx({ hub }, ['unshare', 'function', functionId, '--public'])).stdout, /\npublic    no\n/);
    const shown = await funcx({ hub }, ['share', 'function', functionId]);
    assert.equal(shown.stdout, `function  ${functionId}\npublic    no\nusers     (none)\ngroups    lab\n`);
  });

  test('share endpoint takes users, admins and allowed functions; an admin may share it further', async () => {
    await funcx({ hub }, ['share', 'endpoint', 'nowhere']).then((run) => {
      assert.equal(run.code, 1);
      assert.match(run.stderr, /No endpoint "nowhere"/);
    });
    const registered = await fetch(`${hub.url}/v1/endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cluster' }),
    });
    assert.equal(registered.status, 201);
    const shared = await funcx({ hub }, ['share', 'endpoint', 'cluster', '--admin', 'bob', '--allow-function', functionId]);
    assert.equal(shared.code, 0, shared.stderr);
    assert.equal(shared.stdout, `endpoint   cluster\npublic     no\nusers      (none)\ngroups     (none)\nadmins     bob\nfunctions  ${functionId}\n`);
    const byAdmin = await funcx({ hub }, ['share', 'endpoint', `${owner}/cluster`, '--group', 'lab'], asBob());
    assert.equal(byAdmin.code, 0, byAdmin.stderr);
    assert.match(byAdmin.stdout, /\ngroups     lab\n/);
    const notAdmins = await funcx({ hub }, ['share', 'endpoint', `${owner}/cluster`, '--admin', 'carol'], asBob());
    assert.equal(notAdmins.code, 1);
    assert.match(notAdmins.stderr, /may change its admins \[FUNCX_FORBIDDEN\]/);
    assert.match((await funcx({ hub }, ['share', 'endpoint', 'cluster', '--any-function'])).stdout, /\nfunctions  any\n$/);
  });

  test('usage mistakes exit 2 with a message', async () => {
    const both = await funcx({ hub }, ['share', 'function', functionId, '--public', '--private']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give --public or --private, not both/);
    const wrong = await funcx({ hub }, ['share', 'notebook', 'x']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /say what to share: "function ID", "endpoint NAME" or "endpoint-group NAME"/);
    const admin = await funcx({ hub }, ['share', 'function', functionId, '--admin', 'bob']);
    assert.equal(admin.code, 2);
  });
});
