import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TaskEvent, TaskRecord } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { readEvents } from './support/sse.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub } from './support/hub.js';

let hub: TestHub;
let endpoint: EndpointClient;
let received: ReturnType<typeof collect>;

before(async () => {
  hub = await startTestHub();
  endpoint = await connectEndpoint(hub.url, (await registerEndpoint(hub, 'site')).endpoint_token);
  received = collect(endpoint);
});
after(async () => {
  endpoint.disconnect();
  await hub.cleanup();
});

const finish = (taskId: string) =>
  endpoint.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value: 42, data: { 'text/plain': '42' } } }]);

it("streams a task's events to its owner as Server-Sent Events, after the current records of the tasks asked for", async () => {
  const earlier = (await hub.call('POST', '/v1/tasks', { source: '1', endpoint: 'site' })).body.task_id as string;
  const controller = new AbortController();
  const response = await fetch(`${hub.url}/v1/events?tasks=${earlier}`, { headers: { authorization: `Bearer ${hub.token}` }, signal: controller.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type')!, /^text\/event-stream/);
  const stream = readEvents(response);
  await waitFor(() => stream.events.some((e) => e.event === 'snapshot'), 5000, 'the snapshot');
  assert.deepEqual(stream.events[0], { event: 'ready', data: { user: 'alice' } });
  assert.equal((stream.events[1].data as TaskRecord[])[0].task_id, earlier);

  const taskId = (await hub.call('POST', '/v1/tasks', { source: '2', endpoint: 'site' })).body.task_id as string;
  await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'dispatch');
  await finish(taskId);
  const finalOf = () =>
    stream.events.flatMap((e) => (e.event === 'task:events' ? (e.data as TaskEvent[]) : [])).find((e) => e.task_id === taskId && e.type === 'final');
  await waitFor(() => finalOf() !== undefined, 5000, 'the final event on the stream');
  assert.equal((finalOf() as { result: { value: number } }).result.value, 42);
  controller.abort();
  await stream.done.catch(() => undefined);
});

it("a stream is refused with a JSON error for another user's task, or without a token", async () => {
  const mine = (await hub.call('POST', '/v1/tasks', { source: '3', endpoint: 'site' })).body.task_id as string;
  const bob = addUser(hub.dataDir, 'bob');
  const forbidden = await fetch(`${hub.url}/v1/events?tasks=${mine}`, { headers: { authorization: `Bearer ${bob}` } });
  assert.equal(forbidden.status, 403);
  assert.equal(((await forbidden.json()) as { code: string }).code, 'FUNCX_FORBIDDEN');
  const anonymous = await fetch(`${hub.url}/v1/events`);
  assert.equal(anonymous.status, 401);
  const bad = await fetch(`${hub.url}/v1/events?tasks=not-an-id`, { headers: { authorization: `Bearer ${hub.token}` } });
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { message: string }).message, /tasks must be task ids separated by commas/);
});

it("bob's stream carries none of alice's events, and a stopping hub ends every stream", async () => {
  const other = await startTestHub();
  try {
    await other.call('POST', '/v1/endpoints', { name: 'e', public: true });
    const bob = addUser(other.dataDir, 'bob');
    const response = await fetch(`${other.url}/v1/events`, { headers: { authorization: `Bearer ${bob}` } });
    const stream = readEvents(response);
    await waitFor(() => stream.events.length > 0, 5000, 'ready');
    const alices = (await other.call('POST', '/v1/tasks', { source: 'x', endpoint: 'e' })).body.task_id as string;
    const bobs = (await other.call('POST', '/v1/tasks', { source: 'y', endpoint: 'alice/e' }, bob)).body.task_id as string;
    const ids = () => stream.events.flatMap((e) => (e.event === 'task:events' ? (e.data as TaskEvent[]).map((event) => event.task_id) : []));
    // Events go out in order, so once bob's own arrives, alice's (sent before it) would have too.
    await waitFor(() => ids().includes(bobs), 5000, "bob's own event");
    assert.ok(!ids().includes(alices));
    await other.stop();
    await stream.done;
  } finally {
    await other.cleanup();
  }
});
