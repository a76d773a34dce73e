import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { connectClient, eventually, hubCli, startTestHub, type TestHub, type UserClient } from './support/hub.js';

let hub: TestHub;
const sockets: UserClient[] = [];

before(async () => {
  hub = await startTestHub();
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

const cli = (...args: string[]) => hubCli([...args, '--data-dir', hub.dataDir]);

/** A client socket that records why the hub closed it. */
async function watchedClient(token: string): Promise<{ socket: UserClient; revoked: ErrorBody[]; disconnected: () => boolean }> {
  const socket = await connectClient(hub.url, token);
  sockets.push(socket);
  const revoked: ErrorBody[] = [];
  let closed = false;
  socket.on('session:revoked', (error) => revoked.push(error));
  socket.on('disconnect', () => {
    closed = true;
  });
  return { socket, revoked, disconnected: () => closed };
}

describe('users and admins', () => {
  it("the hub's local user (the one in credentials.json) is an admin; a user added without --admin is not", async () => {
    const bob = addUser(hub.dataDir, 'bob');
    const listed = await hub.call('GET', '/v1/users');
    assert.equal(listed.statusCode, 200);
    const byName = new Map((listed.body as { name: string; admin: boolean }[]).map((user) => [user.name, user]));
    assert.equal(byName.get('alice')?.admin, true);
    assert.equal(byName.get('bob')?.admin, false);
    const refused = await hub.call('GET', '/v1/users', undefined, bob);
    assert.equal(refused.statusCode, 403);
    assert.match(refused.body.message, /Only a hub admin may list users: ask an admin to do it/);
  });

  it('an admin adds a user over REST and the token it gets back works; a second add of the name is a 409', async () => {
    const created = await hub.call('POST', '/v1/users', { name: 'dana' });
    assert.equal(created.statusCode, 201);
    assert.equal(created.body.user, 'dana');
    assert.equal((await hub.call('GET', '/v1/functions', undefined, created.body.token)).statusCode, 200);
    const again = await hub.call('POST', '/v1/users', { name: 'dana' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body.message, /POST \/v1\/users\/dana\/tokens/);
    const badName = await hub.call('POST', '/v1/users', { name: 'no spaces' });
    assert.equal(badName.statusCode, 400);
    assert.match(badName.body.message, /not a valid user name/);
  });

  it('a non-admin may not add users, nor issue or revoke tokens of others, and is told an admin must', async () => {
    const erin = addUser(hub.dataDir, 'erin');
    for (const [method, url, body] of [
      ['POST', '/v1/users', { name: 'mallory' }],
      ['POST', '/v1/users/bob/tokens', {}],
      ['DELETE', '/v1/users/bob/tokens', undefined],
    ] as const) {
      const response = await hub.call(method, url, body, erin);
      assert.equal(response.statusCode, 403, `${method} ${url}`);
      assert.match(response.body.message, /Only a hub admin may .*: ask an admin to do it/);
    }
  });

  it('a user rotates their own token: the old one stops working on REST at once, the new one works', async () => {
    const old = addUser(hub.dataDir, 'frank');
    const rotated = await hub.call('POST', '/v1/users/frank/tokens', { revoke_others: true }, old);
    assert.equal(rotated.statusCode, 201);
    assert.equal(rotated.body.revoked_others, true);
    assert.equal((await hub.call('GET', '/v1/functions', undefined, old)).statusCode, 401);
    assert.equal((await hub.call('GET', '/v1/functions', undefined, rotated.body.token)).statusCode, 200);
    const further = await hub.call('POST', '/v1/users/frank/tokens', undefined, rotated.body.token);
    assert.equal(further.statusCode, 201, 'a further token without revoking');
    assert.equal((await hub.call('GET', '/v1/functions', undefined, rotated.body.token)).statusCode, 200);
  });

  it("an admin's revocation over REST refuses the user's REST calls at once and closes their sockets with the reason", async () => {
    const token = addUser(hub.dataDir, 'gina');
    const client = await watchedClient(token);
    const revoked = await hub.call('DELETE', '/v1/users/gina/tokens');
    assert.equal(revoked.statusCode, 200);
    assert.deepEqual(revoked.body, { user: 'gina', revoked: 1 });
    assert.equal((await hub.call('GET', '/v1/functions', undefined, token)).statusCode, 401);
    await eventually(async () => (client.disconnected() ? true : undefined), 'the socket to close', 3000);
    assert.equal(client.revoked.length, 1);
    assert.equal(client.revoked[0].code, 'FUNCX_UNAUTHORIZED');
    assert.match(client.revoked[0].message, /was revoked: get a new one from an admin \("funcx-hub users rotate gina"\)/);
  });

  it('funcx-hub users revoke, while the hub runs: REST refuses the token at once, the socket closes within seconds', async () => {
    const token = addUser(hub.dataDir, 'hank');
    const client = await watchedClient(token);
    assert.equal((await hub.call('GET', '/v1/functions', undefined, token)).statusCode, 200);
    const run = await cli('users', 'revoke', 'hank');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'revoked 1 token of hank\n');
    assert.equal((await hub.call('GET', '/v1/functions', undefined, token)).statusCode, 401);
    const started = Date.now();
    await eventually(async () => (client.disconnected() ? true : undefined), 'the socket to close', 5000);
    assert.ok(Date.now() - started < 5000);
    assert.equal(client.revoked[0]?.code, 'FUNCX_UNAUTHORIZED');
    const reconnect = connectClient(hub.url, token);
    await assert.rejects(reconnect, /not valid on this hub/);
  });

  it('funcx-hub users rotate prints a token that works and revokes the others; users add --admin makes an admin the hub obeys', async () => {
    const old = addUser(hub.dataDir, 'ivy');
    const rotated = await cli('users', 'rotate', 'ivy');
    assert.equal(rotated.code, 0, rotated.stderr);
    const token = rotated.stdout.trim();
    assert.match(token, /^fxu_/);
    assert.equal((await hub.call('GET', '/v1/functions', undefined, old)).statusCode, 401);
    assert.equal((await hub.call('GET', '/v1/users', undefined, token)).statusCode, 403);
    const promoted = await cli('users', 'add', 'ivy', '--admin');
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.equal((await hub.call('GET', '/v1/users', undefined, token)).statusCode, 200, 'the running hub sees the admin flag');
  });

  it('funcx-hub users list shows who is an admin, how many tokens work and the groups of each user', async () => {
    await hub.call('POST', '/v1/groups', { name: 'listing', members: ['bob'] });
    const run = await cli('users', 'list');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0], /^NAME\s+ADMIN\s+TOKENS\s+GROUPS\s+CREATED$/);
    assert.match(run.stdout, /\nalice\s+yes\s+1\s+/);
    assert.match(run.stdout, /\nbob\s+no\s+1\s+listing\s+/);
    assert.match(run.stdout, /\nhank\s+no\s+0\s+/);
  });

  it('a revoked or unknown user is named in the error of the CLI', async () => {
    const run = await cli('users', 'rotate', 'nobody');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /funcx-hub: No user "nobody" on this hub: an admin adds one with "funcx-hub users add nobody"/);
  });
});
