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
