import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createClient } from 'redis';
import { io as connectSocket } from 'socket.io-client';
import { ENDPOINT_NAMESPACE, type TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub, type UserClient } from './support/hub.js';

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

const LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

it('a hub alone on its Redis publishes no client events, and one with company does', { timeout: 60_000 }, async (t) => {
  const options = { store: `${redis.url}/0`, logLevel: 'error', localUser: 'alice' };
  const a: TestHub = await startTestHub(options);
  t.after(() => a.cleanup());
  const endpoint = await registerEndpoint(a, 'laptop');
  const daemon: EndpointClient = connectSocket(a.url + ENDPOINT_NAMESPACE, { transports: ['websocket'], reconnection: false, auth: { token: endpoint.endpoint_token } });
  t.after(() => daemon.disconnect());
  const received = collect(daemon);
  await new Promise<void>((resolve, reject) => {
    daemon.once('connect', resolve);
    daemon.once('connect_error', reject);
  });
  await daemon.timeout(5000).emitWithAck('hello', { held_task_ids: [], load: LOAD, version: 'test' });

  /** Submits through `client`, has the endpoint finish the task, and waits for the final event at `client`. */
  const runTask = async (client: UserClient, events: TaskEvent[], value: number) => {
    const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: String(value), endpoint: 'laptop' }] });
    assert.ok(!('error' in reply), JSON.stringify(reply));
    const [taskId] = reply.task_ids;
    await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'the dispatch');
    await daemon.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value, data: { 'text/plain': String(value) } } }]);
    await waitFor(() => events.some((event) => event.type === 'final' && event.task_id === taskId), 5000, `the final event of task ${value}`);
  };
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
