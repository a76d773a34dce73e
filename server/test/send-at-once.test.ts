import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';
import type { TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

// On Redis, a task for an endpoint connected to the hub it was submitted to goes out beside its write, not a
// round trip after it. Here the store's answer to the write is held back, or Redis refuses the write (maxmemory).

let redis: RedisProcess;
let admin: ReturnType<typeof createClient>;
let hub: TestHub;
let db = 0;
before(async () => {
  redis = await startRedis();
  admin = createClient({ url: redis.url });
  await admin.connect();
});
after(async () => {
  await admin.configSet('maxmemory', '0');
  await admin.quit();
  await cleanup();
});

async function setUp(t: { after: (fn: () => unknown) => void }) {
  const store = `${redis.url}/${++db}`;
  hub = await startTestHub({ store, logLevel: 'fatal', localUser: 'alice' });
  t.after(() => hub.cleanup());
  const { endpoint_id, endpoint_token } = await registerEndpoint(hub, 'laptop');
  const socket = await connectEndpoint(hub.url, endpoint_token);
  t.after(() => socket.disconnect());
  const received = collect(socket);
  const cancels: string[] = [];
  socket.on('tasks:cancel', (request) => cancels.push(...request.task_ids));
  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  const functionId = (await hub.call('POST', '/v1/functions', { name: 'double', source: 'def double(x):\n    return 2 * x\n', entrypoint: 'double' })).body
    .function_id as string;
  const redisOfHub = createClient({ url: store });
  await redisOfHub.connect();
  t.after(() => redisOfHub.quit());
  return { endpointId: endpoint_id, endpointToken: endpoint_token, daemon: socket, received, cancels, client, events, functionId, redisOfHub };
}

/**
 * Holds back the hub's view of Redis's answer to its next task write (the write itself goes to Redis as ever)
 * while a task is submitted; `meanwhile` runs once the task has reached the endpoint. Returns the client's reply.
 */
async function submitWhileUnanswered(
  { received, client, functionId }: Awaited<ReturnType<typeof setUp>>,
  meanwhile: (taskId: string) => Promise<void>,
) {
  const store = hub.running.hub.store;
  const putTasks = store.putTasks.bind(store);
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  let hold = true;
  store.putTasks = (tasks, madeIds) => {
    const written = putTasks(tasks, madeIds);
    if (!hold) return written;
    hold = false;
    return answered.then(() => written);
  };
  let acknowledged = false;
  const submitted = client
    .timeout(20_000)
    .emitWithAck('tasks:submit', { tasks: [{ function_id: functionId, endpoint: 'laptop', args: [21] }] })
    .then((reply) => {
      acknowledged = true;
      return reply;
    });
  try {
    await waitFor(() => received.tasks.length === 1, 10_000, 'the dispatch while the write is unanswered');
    assert.equal(acknowledged, false, 'the submission is not acknowledged before Redis has answered');
    await meanwhile(received.tasks[0].task_id);
  } finally {
    answer();
  }
  const reply = await submitted;
  assert.ok(!('error' in reply), JSON.stringify(reply));
  assert.equal(received.tasks[0].task_id, reply.task_ids[0]);
  return reply.task_ids[0];
}

const done = (taskId: string) => [{ task_id: taskId, state: 'success' as const, timestamps: {}, result: { value: 42, data: { 'text/plain': '42' } } }];
const kinds = (events: TaskEvent[]) => events.map((event) => (event.type === 'state' ? event.state : event.type));

it('a task reaches its endpoint before Redis has answered its write, and its result is told only after it has', { timeout: 30_000 }, async (t) => {
  const hubSide = await setUp(t);
  const { endpointId, daemon, events, redisOfHub } = hubSide;
  const taskId = await submitWhileUnanswered(hubSide, async (sentId) => {
    // The endpoint reports the result meanwhile: no client hears of a task before it is on file.
    void daemon.timeout(20_000).emitWithAck('tasks:done', done(sentId));
    await sleep(300);
    assert.equal(events.length, 0, `nothing is told of a task not yet on file: ${JSON.stringify(events)}`);
  });
  await waitFor(() => events.some((event) => event.type === 'final'), 5_000, 'the final event');
  assert.deepEqual(kinds(events), ['waiting-for-endpoint', 'final']);
  const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
  assert.equal(record.state, 'success');
  assert.equal(record.result.value, 42);
  assert.equal(record.attempts, 1, 'its one attempt is counted');
  assert.equal(await redisOfHub.zCard(`funcx:queue:${endpointId}`), 0, 'it never waited in the queue');
  assert.equal(await redisOfHub.sCard(`funcx:inflight:${endpointId}`), 0, 'and is out of flight once done');
});

it('a task sent at once and reported running before Redis has answered is told submitted, then running, then done', { timeout: 30_000 }, async (t) => {
  const hubSide = await setUp(t);
  const { daemon, events } = hubSide;
  await submitWhileUnanswered(hubSide, async (sentId) => {
    daemon.emit('tasks:state', [{ task_id: sentId, state: 'running', timestamps: {} }]);
    await sleep(300);
    assert.equal(events.length, 0, `nothing is told of a task not yet on file: ${JSON.stringify(events)}`);
  });
  await waitFor(() => events.some((event) => event.type === 'state' && event.state === 'running'), 5_000, 'the running state');
  await daemon.timeout(5_000).emitWithAck('tasks:done', done(hubSide.received.tasks[0].task_id));
  await waitFor(() => events.some((event) => event.type === 'final'), 5_000, 'the final event');
  assert.deepEqual(kinds(events), ['waiting-for-endpoint', 'running', 'final']);
});

it('a task sent at once is in flight, not queued, and an endpoint that comes back without it is sent it again', { timeout: 30_000 }, async (t) => {
  const { endpointId, endpointToken, daemon, received, client, functionId, redisOfHub } = await setUp(t);
  const reply = await client.timeout(5_000).emitWithAck('tasks:submit', { tasks: [{ function_id: functionId, endpoint: 'laptop', args: [1] }] });
  assert.ok(!('error' in reply), JSON.stringify(reply));
  await waitFor(() => received.tasks.length === 1, 5_000, 'the dispatch');
  assert.deepEqual(await redisOfHub.sMembers(`funcx:inflight:${endpointId}`), reply.task_ids);
  assert.equal(await redisOfHub.zCard(`funcx:queue:${endpointId}`), 0);
  daemon.disconnect();
  let receivedAgain: ReturnType<typeof collect> | undefined;
  const again = await connectEndpoint(hub.url, endpointToken, [], (socket) => (receivedAgain = collect(socket)));
  t.after(() => again.disconnect());
  await waitFor(() => receivedAgain!.tasks.length === 1, 10_000, 'the task sent again to the endpoint that lost it');
  assert.equal(receivedAgain!.tasks[0].task_id, reply.task_ids[0]);
});

it('a submission whose write Redis refuses fails, is cancelled at the endpoint it reached, and its result records nothing', { timeout: 30_000 }, async (t) => {
  const { daemon, received, cancels, client, events, functionId, redisOfHub } = await setUp(t);
  await admin.configSet('maxmemory', '1');
  let reply;
  try {
    reply = await client.timeout(10_000).emitWithAck('tasks:submit', { tasks: [{ function_id: functionId, endpoint: 'laptop', args: [5] }] });
  } finally {
    await admin.configSet('maxmemory', '0');
  }
  assert.ok('error' in reply, `the submission fails: ${JSON.stringify(reply)}`);
  await waitFor(() => received.tasks.length === 1 && cancels.length === 1, 5_000, 'the dispatch, then its cancel');
  const [task] = received.tasks;
  assert.deepEqual(cancels, [task.task_id]);
  // The daemon, as one would that had started it, reports it cancelled: acknowledged, and nothing is written.
  const acked = await daemon.timeout(5_000).emitWithAck('tasks:done', [{ task_id: task.task_id, state: 'cancelled', timestamps: {} }]);
  assert.ok(!('error' in acked), JSON.stringify(acked));
  assert.equal(await redisOfHub.exists(`funcx:task:${task.task_id}`), 0, 'no record of a submission that failed');
  assert.equal((await hub.call('GET', `/v1/tasks/${task.task_id}`)).statusCode, 404);
  assert.equal(events.length, 0, `no event of a task that does not exist: ${JSON.stringify(events)}`);
});
