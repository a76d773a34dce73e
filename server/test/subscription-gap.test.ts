import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TaskRecord } from '@funcx/protocol';
import { cleanup, startRedis, withTimeout, type RedisProcess } from '@funcx/testing';
import { readEvents } from './support/sse.js';
import { collect, connectClient, connectEndpoint, dropSubscribers, keepBeating, registerEndpoint, startTestHub, waitFor } from './support/hub.js';

// Redis keeps no pub/sub message for a subscriber whose connection is down: what other hubs published for this
// hub's clients meanwhile is lost. When its subscription comes back, the hub ends its clients' connections, and
// each client, connecting again, reads the tasks it follows from their records.

let redis: RedisProcess;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await cleanup();
});

it("when a hub's subscription to the others comes back, its clients' sockets and event streams are ended, and a stream opened again has the task's final record", { timeout: 30_000 }, async (t) => {
  const options = { store: `${redis.url}/1`, logLevel: 'fatal', localUser: 'alice' };
  const a = await startTestHub(options);
  t.after(() => a.cleanup());
  const b = await startTestHub(options);
  t.after(() => b.cleanup());
  const { endpoint_token } = await registerEndpoint(a, 'far');
  const endpoint = await connectEndpoint(b.url, endpoint_token);
  t.after(() => endpoint.disconnect());
  t.after(keepBeating(endpoint));
  const received = collect(endpoint);

  const socket = await connectClient(a.url, a.token);
  t.after(() => socket.disconnect());
  const socketClosed = new Promise<string>((resolve) => socket.on('disconnect', (reason) => resolve(reason)));
  const controller = new AbortController();
  t.after(() => controller.abort());
  const response = await fetch(`${a.url}/v1/events`, { headers: { authorization: `Bearer ${a.token}` }, signal: controller.signal });
  const stream = readEvents(response);
  await waitFor(() => stream.events.some((event) => event.event === 'ready'), 5_000, 'the stream to open');

  const taskId = (await a.call('POST', '/v1/tasks', { source: '"across the gap"', endpoint: 'far' })).body.task_id as string;
  await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5_000, 'the task at the endpoint on hub B');

  const endpointClosed = new Promise<string>((resolve) => endpoint.on('disconnect', (reason) => resolve(reason)));
  await dropSubscribers(redis.url);
  // Hub B has its endpoint say hello again too; the endpoint, holding the task, reports its end after that.
  assert.equal(await withTimeout(endpointClosed, 10_000, "hub B ending the endpoint's socket"), 'io server disconnect');
  const again = await connectEndpoint(b.url, endpoint_token, [taskId]);
  t.after(() => again.disconnect());
  const acked = await again.timeout(5_000).emitWithAck('tasks:done', [
    { task_id: taskId, state: 'success', timestamps: {}, result: { value: 'done', data: { 'text/plain': "'done'" } } },
  ]);
  assert.deepEqual(acked, { recorded: [taskId] });

  assert.equal(await withTimeout(socketClosed, 10_000, "hub A ending its client's socket"), 'io server disconnect');
  await withTimeout(stream.done, 10_000, "hub A ending its client's event stream");
  const reopened = readEvents(await fetch(`${a.url}/v1/events?tasks=${taskId}`, { headers: { authorization: `Bearer ${a.token}` }, signal: controller.signal }));
  await waitFor(() => reopened.events.some((event) => event.event === 'snapshot'), 5_000, 'the snapshot of the stream opened again');
  const [record] = reopened.events.find((event) => event.event === 'snapshot')!.data as TaskRecord[];
  assert.equal(record.state, 'success');
  assert.equal(record.result?.value, 'done');
});
