import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TaskEvent } from '@funcx/protocol';
import { collect, connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

let hub: TestHub;
before(async () => {
  hub = await startTestHub();
});
after(async () => {
  await hub.cleanup();
});

it('state and final events name the endpoint the task runs on', async (t) => {
  const created = await registerEndpoint(hub, 'laptop');
  const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
  t.after(() => endpoint.disconnect());
  const dispatched = collect(endpoint);
  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));

  const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: '1', endpoint: 'laptop' }] });
  assert.ok(!('error' in reply));
  const [taskId] = reply.task_ids;
  await waitFor(() => dispatched.tasks.length === 1, 5000, 'dispatch');
  endpoint.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: { running: Date.now() } }]);
  const ack = await endpoint.timeout(5000).emitWithAck('tasks:done', [
    { task_id: taskId, state: 'success', timestamps: {}, result: { value: 1, data: { 'text/plain': '1' } } },
  ]);
  assert.deepEqual(ack, { recorded: [taskId] });
  await waitFor(() => events.some((event) => event.type === 'final'), 5000, 'final event');

  const placed = events.filter((event) => event.type !== 'output');
  assert.deepEqual(
    placed.map((event) => [event.type === 'state' ? event.state : event.type, 'endpoint_id' in event ? event.endpoint_id : undefined]),
    [
      ['waiting-for-endpoint', created.endpoint_id],
      ['running', created.endpoint_id],
      ['final', created.endpoint_id],
    ],
  );
});

it('a submission whose records could not be written announces no task, and the next one is announced as before', async (t) => {
  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  await registerEndpoint(hub, 'flaky-disk');
  const store = hub.running.hub.store;
  const putTasks = store.putTasks.bind(store);
  store.putTasks = () => Promise.reject(new Error('no space left on device'));
  const lost = '6a1f0c52-6f4e-4d36-9b4e-1d2c3b4a5f60';
  const refused = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ task_id: lost, source: '1', endpoint: 'flaky-disk' }] });
  store.putTasks = putTasks;
  assert.ok('error' in refused, 'the client is told the submission failed');

  const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: '2', endpoint: 'flaky-disk' }] });
  assert.ok(!('error' in reply));
  // Events reach a socket in order: had the failed task been announced, its event would have come first.
  await waitFor(() => events.some((event) => event.task_id === reply.task_ids[0]), 5000, 'the second task announced');
  assert.deepEqual(events.filter((event) => event.task_id === lost), []);
});
