import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createClient } from 'redis';
import type { TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, withTimeout, type RedisProcess } from '@funcx/testing';
import type { HandOff } from '../src/store/store.js';
import { collect, connectClient, connectEndpoint, dropSubscribers, keepBeating, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

// Two hubs on one Redis: a task submitted on hub A for an endpoint connected to hub B is handed to B by the
// submission's own script (Store.handOff) instead of waiting in the queue for B to take it.

let redis: RedisProcess;
let db = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await cleanup();
});

async function twoHubs(t: { after: (fn: () => unknown) => void }) {
  const store = `${redis.url}/${++db}`;
  const options = { store, logLevel: 'fatal', localUser: 'alice' };
  const a = await startTestHub(options);
  t.after(() => a.cleanup());
  const b = await startTestHub(options);
  t.after(() => b.cleanup());
  const { endpoint_id, endpoint_token } = await registerEndpoint(a, 'cluster');
  const client = await connectClient(a.url, a.token);
  t.after(() => client.disconnect());
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  const redisOfHubs = createClient({ url: store });
  await redisOfHubs.connect();
  t.after(() => redisOfHubs.quit());
  // What hub A's store answers each offer to hand tasks over.
  const outcomes: HandOff[] = [];
  const storeA = a.running.hub.store;
  const handOff = storeA.handOff!;
  storeA.handOff = (endpointId, message, taskIds) => handOff.call(storeA, endpointId, message, taskIds).then((outcome) => (outcomes.push(outcome), outcome));
  const submit = async (source: string) => {
    const reply = await client.timeout(5_000).emitWithAck('tasks:submit', { tasks: [{ source, endpoint: 'cluster' }] });
    assert.ok(!('error' in reply), JSON.stringify(reply));
    return reply.task_ids[0];
  };
  const queued = () => redisOfHubs.zRange(`funcx:queue:${endpoint_id}`, 0, -1);
  const inFlight = () => redisOfHubs.sMembers(`funcx:inflight:${endpoint_id}`);
  return { a, b, endpointId: endpoint_id, endpointToken: endpoint_token, events, outcomes, submit, queued, inFlight };
}

/** Resolves once `probe` holds, looking every 20 ms; rejects after 5 s. */
async function until(probe: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Presence as hub `hubId` writes it for an endpoint connected to it, without any endpoint connected. */
function pretendConnected(hub: TestHub, endpointId: string, hubId: string) {
  const load = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
  return hub.running.hub.store.keepAlive(endpointId, { load, last_heartbeat: Date.now(), hub: hubId }, 60_000, 60_000);
}

it("a task submitted on hub A reaches the endpoint on hub B without B taking it, and its result comes back to A's client", { timeout: 30_000 }, async (t) => {
  const { a, b, endpointId, endpointToken, events, outcomes, submit, queued, inFlight } = await twoHubs(t);
  const daemon = await connectEndpoint(b.url, endpointToken);
  t.after(() => daemon.disconnect());
  const received = collect(daemon);
  await until(async () => (await a.running.hub.store.getPresence([endpointId]))[0]?.hub === b.running.hub.instanceId, "the endpoint's presence naming hub B");
  // Hub B's takes find nothing from here on: what reaches the endpoint was handed over.
  const storeB = b.running.hub.store;
  storeB.take = async () => [];

  const taskId = await submit('6 * 7');
  await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5_000, 'the task at the endpoint on hub B');
  assert.deepEqual(outcomes, ['handed']);
  assert.deepEqual(await queued(), [], 'it never waited in the queue');
  assert.deepEqual(await inFlight(), [taskId], "it is in the endpoint's in-flight set");
  assert.equal((await a.call('GET', `/v1/tasks/${taskId}`)).body.attempts, 1, 'its first attempt is counted');

  const acked = await daemon.timeout(5_000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value: 42, data: { 'text/plain': '42' } } }]);
  assert.deepEqual(acked, { recorded: [taskId] });
  await waitFor(() => events.some((event) => event.type === 'final' && event.task_id === taskId), 5_000, "the final event at hub A's client");
  const record = (await a.call('GET', `/v1/tasks/${taskId}`)).body;
  assert.equal(record.state, 'success');
  assert.equal(record.result.value, 42);
  assert.equal(record.attempts, 1);
  assert.deepEqual(await inFlight(), [], 'and out of flight once done');
});

it('tasks handed to a hub the endpoint is no longer connected to go back to the queue, and reach it where it connects next', { timeout: 30_000 }, async (t) => {
  const { a, b, endpointId, endpointToken, outcomes, submit, queued, inFlight } = await twoHubs(t);
  await pretendConnected(a, endpointId, b.running.hub.instanceId);
  const taskId = await submit('1');
  assert.deepEqual(outcomes, ['handed'], 'hub B listens, so the tasks are handed to it');
  await until(async () => (await queued()).length > 0, 'hub B putting it back in the queue');
  assert.deepEqual(await queued(), [taskId]);
  assert.deepEqual(await inFlight(), []);
  let received: ReturnType<typeof collect> | undefined;
  const daemon = await connectEndpoint(a.url, endpointToken, [], (socket) => (received = collect(socket)));
  t.after(() => daemon.disconnect());
  await waitFor(() => received!.tasks.some((task) => task.task_id === taskId), 5_000, 'the task at the endpoint, now on hub A');
});

it('tasks are queued, in order, when no hub listens where the presence points or tasks already wait in the queue', { timeout: 30_000 }, async (t) => {
  const { a, b, endpointId, endpointToken, outcomes, submit, queued } = await twoHubs(t);
  await pretendConnected(a, endpointId, 'a-hub-that-is-gone');
  const first = await submit('1');
  assert.deepEqual(outcomes, ['queued'], 'no hub listens on that channel');
  await pretendConnected(a, endpointId, b.running.hub.instanceId);
  const second = await submit('2');
  assert.deepEqual(outcomes, ['queued', 'queued'], 'a task waits in the queue: the next one is not handed past it');
  assert.deepEqual(await queued(), [first, second]);
  let received: ReturnType<typeof collect> | undefined;
  const daemon = await connectEndpoint(b.url, endpointToken, [], (socket) => (received = collect(socket)));
  t.after(() => daemon.disconnect());
  await waitFor(() => received!.tasks.length === 2, 5_000, 'both tasks at the endpoint');
  assert.deepEqual(received!.tasks.map((task) => task.task_id), [first, second]);
});

it("a task handed to hub B while B's subscription was away is not stuck: once it is back, B's endpoints say hello again and the task reaches them", { timeout: 30_000 }, async (t) => {
  const { a, b, endpointId, endpointToken, outcomes, submit, inFlight } = await twoHubs(t);
  const first = await connectEndpoint(b.url, endpointToken);
  t.after(() => first.disconnect());
  // Heartbeats keep the hub from closing the connection for silence: only a hello asked for closes it here.
  t.after(keepBeating(first));
  const closedByHub = new Promise<string>((resolve) => first.on('disconnect', (reason) => resolve(reason)));
  await until(async () => (await a.running.hub.store.getPresence([endpointId]))[0]?.hub === b.running.hub.instanceId, "the endpoint's presence naming hub B");
  // The message that hands the task over never reaches B, as when Redis dies before writing it to B's subscriber.
  const handedOver = b.running.hub.dispatcher.handedOver.bind(b.running.hub.dispatcher);
  b.running.hub.dispatcher.handedOver = () => undefined;
  const taskId = await submit('"handed over, then lost"');
  assert.deepEqual(outcomes, ['handed']);
  assert.deepEqual(await inFlight(), [taskId], 'written and in flight, though no endpoint has it');
  b.running.hub.dispatcher.handedOver = handedOver;

  await dropSubscribers(redis.url);
  assert.equal(await withTimeout(closedByHub, 10_000, "hub B closing the endpoint's connection"), 'io server disconnect');

  let received: ReturnType<typeof collect> | undefined;
  const second = await connectEndpoint(b.url, endpointToken, [], (socket) => (received = collect(socket)));
  t.after(() => second.disconnect());
  await waitFor(() => received!.tasks.some((task) => task.task_id === taskId), 5_000, 'the lost task at the endpoint after its new hello');
  assert.equal((await a.call('GET', `/v1/tasks/${taskId}`)).body.attempts, 2, 'the lost hand-off counts as an attempt, as a lost dispatch does');
});
