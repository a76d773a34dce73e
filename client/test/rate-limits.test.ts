import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FuncxError } from '@funcx/protocol';
import { cleanup, makeTempDir, startHub, type HubProcess } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';

describe('HubClient backs off and retries when the hub rate-limits it', { timeout: 60_000 }, () => {
  let hub: HubProcess;
  const clients: HubClient[] = [];
  const client = (options: { rateLimitRetries?: number } = {}) => {
    const made = new HubClient({ hubUrl: hub.url, token: hub.token, requestTimeoutMs: 10_000, ...options });
    clients.push(made);
    return made;
  };

  before(async () => {
    // One submission a second (bursts of two): the third submission in a row is refused with 429.
    hub = await startHub({ funcxHome: makeTempDir('funcx-rate-'), extraArgs: ['--rate-limit', '1'] });
    await client().registerEndpoint({ name: 'queue' });
  });
  after(async () => {
    for (const made of clients) made.close();
    await cleanup();
  });

  test('REST submissions past the limit wait for the retry time the hub gives and then go through', async () => {
    const rest = client();
    const started = Date.now();
    const submitted = [];
    for (let i = 0; i < 5; i++) submitted.push(await rest.submit({ source: `${i}`, endpoint: 'queue' }));
    const elapsed = Date.now() - started;
    assert.equal(new Set(submitted.map((task) => task.task_id)).size, 5);
    assert.ok(elapsed >= 1_500, `waited for the limit (${elapsed} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 2_100)); // the bucket fills again
  });

  test('socket submissions past the limit are sent again after the retry time', async () => {
    const live = client();
    await live.connect();
    const started = Date.now();
    const batches = [];
    for (let i = 0; i < 4; i++) batches.push(await live.submitLive([{ source: `${i}`, endpoint: 'queue' }]));
    assert.equal(batches.flatMap((batch) => batch.task_ids).length, 4);
    assert.ok(Date.now() - started >= 900, 'waited for the limit');
    await new Promise((resolve) => setTimeout(resolve, 2_100));
  });

  test('after its bounded number of retries the client fails with the hub’s own error', async () => {
    const impatient = client({ rateLimitRetries: 0 });
    await impatient.submit({ source: 'a', endpoint: 'queue' });
    await impatient.submit({ source: 'b', endpoint: 'queue' });
    const refused = await impatient.submit({ source: 'c', endpoint: 'queue' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(refused instanceof FuncxError);
    assert.equal(refused.code, 'FUNCX_RATE_LIMITED');
    assert.match(refused.message, /Too many task submissions: this hub accepts 1 per second per user; retry in \d+ ms/);
    assert.ok(refused.retryAfterMs !== undefined && refused.retryAfterMs > 0 && refused.retryAfterMs <= 1_000);
    assert.equal(refused.retryAfterS, 1);
  });
});
