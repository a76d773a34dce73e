import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, connectEndpoint, registerEndpoint, runThrough, startTestHub, waitFor, type TestHub, type UserClient } from './support/hub.js';

// Two deployments on one redis-server, each in its own database: keys are apart by database, pub/sub channels
// are one namespace for the whole server, so each deployment's channels carry its database.

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(cleanup);

async function daemonOf(hub: TestHub, name: string) {
  const socket = await connectEndpoint(hub.url, (await registerEndpoint(hub, name)).endpoint_token);
  return { socket, received: collect(socket) };
}

function eventsOf(client: UserClient): TaskEvent[] {
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  return events;
}

it('a user of one deployment never hears of the tasks of a same-named user in another database of the same Redis', { timeout: 60_000 }, async (t) => {
  const hubOf = (db: number) => startTestHub({ store: `${redis.url}/${db}`, logLevel: 'error', localUser: 'alice' });
  const [x, sameDb, otherDb] = [await hubOf(3), await hubOf(3), await hubOf(4)];
  t.after(async () => {
    for (const hub of [x, sameDb, otherDb]) await hub.cleanup();
  });
  const clients = await Promise.all([x, sameDb, otherDb].map((hub) => connectClient(hub.url, hub.token)));
  t.after(() => clients.forEach((client) => client.disconnect()));
  const [onX, onSameDb, onOtherDb] = clients.map(eventsOf);
  const siteX = await daemonOf(x, 'site');
  const siteOther = await daemonOf(otherDb, 'site');
  t.after(() => [siteX.socket, siteOther.socket].forEach((socket) => socket.disconnect()));

  const inX = await runThrough(clients[0], onX, siteX, 'site', 1);
  // The other hub of the same deployment hears of it (so it was published)...
  await waitFor(() => onSameDb.some((event) => event.type === 'final' && event.task_id === inX), 5000, 'the final event at the hub beside it');
  assert.ok(onX.some((event) => event.type === 'final' && event.task_id === inX));
  // ...and by the time a task of the other deployment has gone round, nothing of it has reached that one.
  const inOther = await runThrough(clients[2], onOtherDb, siteOther, 'site', 2);
  await waitFor(() => onOtherDb.some((event) => event.type === 'final' && event.task_id === inOther), 5000, 'the other deployment\'s own final event');
  assert.deepEqual(onOtherDb.filter((event) => event.task_id === inX), []);
  assert.deepEqual(onSameDb.filter((event) => event.task_id === inOther), []);
});
