import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from '../src/users.js';
import { startTestHub, type TestHub } from './support/hub.js';

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

describe('endpoint names cannot be taken over', () => {
  it("a bare name never means another user's endpoint: the 404 gives its full name, which works", async () => {
    assert.equal((await hub.call('POST', '/v1/endpoints', { name: 'theta', public: true }, bob)).statusCode, 201);
    const bare = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'theta' });
    assert.equal(bare.statusCode, 404);
    assert.match(bare.body.message, /You have no endpoint named "theta"; one is shared with you under that name: use "bob\/theta"/);
    assert.equal((await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'bob/theta' })).statusCode, 202);
  });

  it('a name of your own is yours even when another user has a public endpoint of that name', async () => {
    const mine = await hub.call('POST', '/v1/endpoints', { name: 'theta' });
    assert.equal(mine.statusCode, 201);
    assert.equal((await hub.call('GET', '/v1/endpoints/theta')).body.endpoint_id, mine.body.endpoint_id);
    const theirs = await hub.call('GET', '/v1/endpoints/bob/theta');
    assert.equal(theirs.statusCode, 200);
    assert.equal(theirs.body.owner, 'bob');
    assert.equal((await hub.call('GET', '/v1/endpoints/bob%2Ftheta')).body.endpoint_id, theirs.body.endpoint_id, 'an encoded slash works too');
  });

  it('a name shared by several users lists every candidate', async () => {
    await hub.call('POST', '/v1/endpoints', { name: 'gpu', public: true }, bob);
    await hub.call('POST', '/v1/endpoints', { name: 'gpu', public: true }, carol);
    const response = await hub.call('GET', '/v1/endpoints/gpu');
    assert.equal(response.statusCode, 404);
    assert.match(response.body.message, /2 are shared with you under that name: use "bob\/gpu" or "carol\/gpu"/);
  });

  it("a private endpoint's full name does not reveal it, and only the owner deletes by name", async () => {
    await hub.call('POST', '/v1/endpoints', { name: 'secret' }, carol);
    assert.equal((await hub.call('GET', '/v1/endpoints/carol/secret')).statusCode, 404);
    assert.equal((await hub.call('DELETE', '/v1/endpoints/bob/gpu')).statusCode, 403);
    assert.equal((await hub.call('DELETE', '/v1/endpoints/gpu', undefined, bob)).statusCode, 204);
    assert.equal((await hub.call('GET', '/v1/endpoints/bob/gpu')).statusCode, 404);
  });
});

describe('names and text that would print as something else are refused', () => {
  for (const [label, name] of [
    ['a NUL', 'report\u0000'],
    ['a terminal escape', 'ok\u001b[2J'],
    ['a right-to-left override', 'invoice\u202egnp.exe'],
    ['a zero-width space', 'pay\u200broll'],
  ] as const) {
    it(`a function name with ${label} gets a 400 that says what to use`, async () => {
      const response = await hub.call('POST', '/v1/functions', { name, source: 'pass' });
      assert.equal(response.statusCode, 400);
      assert.match(response.body.message, /body\/name is not a valid function name: use 1 to 100 characters, none of them control or formatting characters/);
    });
  }

  it('a site with a terminal escape is refused; an ordinary one with accents is kept', async () => {
    assert.equal((await hub.call('POST', '/v1/endpoints', { name: 'lab', site: '\u001b]0;owned\u0007' })).statusCode, 400);
    const ok = await hub.call('POST', '/v1/endpoints', { name: 'lab', site: 'Zürich (ETH) — cluster' });
    assert.equal(ok.statusCode, 201);
  });

  it('a description may span lines but not hold control characters', async () => {
    assert.equal((await hub.call('POST', '/v1/functions', { name: 'f', source: 'pass', description: 'line one\nline two\ttabbed' })).statusCode, 201);
    assert.equal((await hub.call('POST', '/v1/functions', { name: 'f', source: 'pass', description: 'beep\u0007' })).statusCode, 400);
  });

  it('an endpoint name longer than 64 characters is refused, as the endpoint CLI refuses it', async () => {
    const response = await hub.call('POST', '/v1/endpoints', { name: 'a'.repeat(65) });
    assert.equal(response.statusCode, 400);
    assert.match(response.body.message, /not a valid endpoint name: use 1 to 64 letters/);
  });
});
