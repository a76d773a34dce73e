import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { io as connectSocket } from 'socket.io-client';
import { ENDPOINT_NAMESPACE, type TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub, type UserClient } from './support/hub.js';

// Two deployments on one redis-server, each in its own database: keys are apart by database, pub/sub channels
// are one namespace for the whole server, so each deployment's channels carry its database.

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(cleanup);

const LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

async function daemonOf(hub: TestHub, name: string): Promise<{ daemon: EndpointClient; received: ReturnType<typeof collect> }> {
  const endpoint = await registerEndpoint(hub, name);
  const daemon: EndpointClient = connectSocket(hub.url + ENDPOINT_NAMESPACE, { transports: ['websocket'], reconnection: false, auth: { token: endpoint.endpoint_token } });
  const received = collect(daemon);
  await new Promise<void>((resolve, reject) => {
    daemon.once('connect', resolve);
    daemon.once('connect_error', reject);
  });
  await daemon.timeout(5000).emitWithAck('hello', { held_task_ids: [], load: LOAD, version: 'test' });
  return { daemon, received };
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
  t.after(() => [siteX.daemon, siteOther.daemon].forEach((daemon) => daemon.disconnect()));

  const run = async (hub: TestHub, client: UserClient, site: typeof siteX, value: number) => {
    const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: String(value), endpoint: 'site' }] });
    assert.ok(!('error' in reply), JSON.stringify(reply));
    const [taskId] = reply.task_ids;
    await waitFor(() => site.received.tasks.some((task) => task.task_id === taskId), 5000, `the dispatch on ${hub.url}`);
    await site.daemon.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value, data: { 'text/plain': String(value) } } }]);
    return taskId;
  };
  const inX = await run(x, clients[0], siteX, 1);
  // The other hub of the same deployment hears of it (so it was published)...
  await waitFor(() => onSameDb.some((event) => event.type === 'final' && event.task_id === inX), 5000, 'the final event at the hub beside it');
  assert.ok(onX.some((event) => event.type === 'final' && event.task_id === inX));
  // ...and by the time a task of the other deployment has gone round, nothing of it has reached that one.
  const inOther = await run(otherDb, clients[2], siteOther, 2);
  await waitFor(() => onOtherDb.some((event) => event.type === 'final' && event.task_id === inOther), 5000, 'the other deployment\'s own final event');
  assert.deepEqual(onOtherDb.filter((event) => event.task_id === inX), []);
  assert.deepEqual(onSameDb.filter((event) => event.task_id === inOther), []);
});
