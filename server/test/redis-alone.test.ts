import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createClient } from 'redis';
import type { TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, connectEndpoint, registerEndpoint, runThrough, startTestHub, type TestHub, type UserClient } from './support/hub.js';

// A hub alone on its Redis publishes no client events; it publishes while another hub listens, from before that
// hub takes its first connection, and stops again once that hub has gone. Counted by redis-server itself.

let redis: RedisProcess;
let admin: ReturnType<typeof createClient>;
before(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
after(async () => {
  await admin.quit();
  await cleanup();
});

/** PUBLISH commands redis-server has run so far. */
async function publishes(): Promise<number> {
  const match = /^cmdstat_publish:calls=(\d+)/m.exec(await admin.info('commandstats'));
  return match ? Number(match[1]) : 0;
}

it('a hub alone on its Redis publishes no client events, and one with company does', { timeout: 60_000 }, async (t) => {
  const options = { store: `${redis.url}/0`, logLevel: 'error', localUser: 'alice' };
  const a: TestHub = await startTestHub(options);
  t.after(() => a.cleanup());
  const endpoint = await registerEndpoint(a, 'laptop');
  const socket = await connectEndpoint(a.url, endpoint.endpoint_token);
  t.after(() => socket.disconnect());
  const daemon = { socket, received: collect(socket) };
  const runTask = (client: UserClient, events: TaskEvent[], value: number) => runThrough(client, events, daemon, 'laptop', value);
  const onA = await connectClient(a.url, a.token);
  t.after(() => onA.disconnect());
  const eventsOnA: TaskEvent[] = [];
  onA.on('task:events', (batch) => eventsOnA.push(...batch));

  const afterJoin = await publishes();
  await runTask(onA, eventsOnA, 1);
  await runTask(onA, eventsOnA, 2);
  assert.equal(await publishes(), afterJoin, 'alone, the hub published nothing for two tasks');

  // A second hub joins: its client sees the events of a task on the endpoint connected to the first.
  const b = await startTestHub(options);
  const onB = await connectClient(b.url, b.token);
  const eventsOnB: TaskEvent[] = [];
  onB.on('task:events', (batch) => eventsOnB.push(...batch));
  const beforeCompany = await publishes();
  await runTask(onB, eventsOnB, 3);
  assert.ok(eventsOnB.some((event) => event.type === 'state'), 'the submitted state reached the client of the second hub');
  assert.ok((await publishes()) > beforeCompany, 'with company the first hub published');

  onB.disconnect();
  await b.cleanup();
  // The first message after the second hub has gone finds no reader; from then on nothing is published.
  await runTask(onA, eventsOnA, 4);
  const alone = await publishes();
  await runTask(onA, eventsOnA, 5);
  await runTask(onA, eventsOnA, 6);
  assert.equal(await publishes(), alone, 'alone again, the hub published nothing');
});
