import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FuncxError } from '@funcx/protocol';
import { cleanup, makeTempDir, startHub, waitFor, type HubProcess } from '@funcx/testing';
import { HubClient, type ConnectionState } from '../src/hub-client.js';

describe('a HubClient whose token is revoked', { timeout: 30_000 }, () => {
  let hub: HubProcess;
  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-revoked-') });
  });
  after(() => cleanup());

  test('is disconnected with the reason and does not try again', async () => {
    const token = await hub.addUser('bob');
    const client = new HubClient({ hubUrl: hub.url, token });
    const changes: { state: ConnectionState; error?: Error }[] = [];
    client.onConnectionChange((state, error) => changes.push({ state, error }));
    await client.connect();
    const admin = new HubClient({ hubUrl: hub.url, token: hub.token });
    assert.deepEqual(await admin.revokeTokens('bob'), { user: 'bob', revoked: 1 });
    await waitFor(() => client.connectionState === 'disconnected', { timeoutMs: 5_000, what: 'the socket to close' });
    const last = changes[changes.length - 1];
    assert.ok(last.error instanceof FuncxError);
    assert.equal(last.error.code, 'FUNCX_UNAUTHORIZED');
    assert.match(last.error.message, /was revoked/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(client.connectionState, 'disconnected', 'no reconnecting with a revoked token');
    client.close();
  });
});
