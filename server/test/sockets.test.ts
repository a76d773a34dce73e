import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { io as connectSocket } from 'socket.io-client';
import {
  CLIENT_NAMESPACE,
  MAX_TASK_ATTEMPTS,
  type EndpointView,
  type TaskEvent,
} from '@funcx/protocol';
import { addUser } from '../src/users.js';
import {
  collect,
  connectClient,
  connectEndpoint,
  registerEndpoint,
  startTestHub,
  waitFor,
  type EndpointClient,
  type TestHub,
  type UserClient,
} from './support/hub.js';

const done = (task_id: string, value: number) => ({
  task_id,
  state: 'success' as const,
  timestamps: {},
  result: { value, data: { 'text/plain': String(value) } },
});

describe('Socket.IO namespaces', () => {
  let hub: TestHub;
  const sockets: Array<EndpointClient | UserClient> = [];
  const track = <T extends EndpointClient | UserClient>(socket: T): T => {
    sockets.push(socket);
    return socket;
  };

  beforeEach(async () => {
    hub = await startTestHub();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await hub.cleanup();
  });

  function collectEvents(client: UserClient): TaskEvent[] {
    const events: TaskEvent[] = [];
    client.on('task:events', (batch) => events.push(...batch));
    return events;
  }

  it('dispatches a task with its code and streams state, output and result to the client in order', async () => {
    const created = await registerEndpoint(hub, 'laptop');
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    const client = track(await connectClient(hub.url, hub.token));
    const events = collectEvents(client);

    const submitted = await client.timeout(5000).emitWithAck('tasks:submit', {
      tasks: [{ source: 'def f(x):\n    print(x)\n    return x\n', entrypoint: 'f', endpoint: 'laptop', args: [7] }],
    });
    assert.ok(!('error' in submitted));
    const [taskId] = submitted.task_ids;
    await waitFor(() => received.tasks.length === 1, 5000, 'dispatch');
    assert.deepEqual(received.tasks[0].args, [7]);
    assert.equal(received.functions.length, 1);
    assert.equal(received.functions[0].entrypoint, 'f');
    assert.equal(received.functions[0].function_id, received.tasks[0].function_id);

    endpoint.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: { running: Date.now() } }]);
    endpoint.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: '7' } }]);
    endpoint.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: '\n' } }]);
    const ack = await endpoint.timeout(5000).emitWithAck('tasks:done', [done(taskId, 7)]);
    assert.deepEqual(ack, { recorded: [taskId] });

    await waitFor(() => events.some((event) => event.type === 'final'), 5000, 'final event');
    assert.deepEqual(
      events.map((event) => (event.type === 'state' ? event.state : event.type)),
      ['waiting-for-endpoint', 'running', 'output', 'output', 'final'],
    );
    const final = events.at(-1)!;
    assert.ok(final.type === 'final' && final.state === 'success' && final.result?.value === 7);
    const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'success');
    assert.deepEqual(record.outputs, [{ output_type: 'stream', name: 'stdout', text: '7\n' }]);
    assert.equal(record.attempts, 1);
    for (const state of ['received', 'waiting-for-endpoint', 'running', 'success']) {
      assert.equal(typeof record.timestamps[state], 'number', state);
    }
  });

  it('sends the code of a function once per connection', async () => {
    const created = await registerEndpoint(hub, 'laptop');
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'laptop' });
    await waitFor(() => received.tasks.length === 1);
    await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'laptop' });
    await waitFor(() => received.tasks.length === 2);
    assert.equal(received.functions.length, 1);
  });

  it('keeps a task waiting-for-endpoint while its endpoint is offline and runs it once it connects', async () => {
    const created = await registerEndpoint(hub, 'cluster');
    const submitted = await hub.call('POST', '/v1/tasks', { source: '1 + 1', endpoint: 'cluster' });
    const taskId = submitted.body.task_id;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await hub.call('GET', `/v1/tasks/${taskId}`)).body.state, 'waiting-for-endpoint');

    const client = track(await connectClient(hub.url, hub.token));
    const statuses: EndpointView[] = [];
    client.on('endpoint:status', (views) => statuses.push(...views));
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    await waitFor(() => received.tasks.length === 1, 5000, 'dispatch after connect');
    await endpoint.timeout(5000).emitWithAck('tasks:done', [done(taskId, 2)]);
    assert.equal((await hub.call('GET', `/v1/tasks/${taskId}`)).body.state, 'success');
    await waitFor(() => statuses.some((view) => view.name === 'cluster' && view.status.online), 5000, 'online status');
    assert.equal((await hub.call('GET', '/v1/endpoints/cluster')).body.status.online, true);

    endpoint.disconnect();
    await waitFor(() => statuses.some((view) => view.name === 'cluster' && !view.status.online), 5000, 'offline status');
  });

  it('cancels a dispatched task at once, tells its endpoint, and ignores its late result', async () => {
    const created = await registerEndpoint(hub, 'laptop');
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    const cancels: string[] = [];
    endpoint.on('tasks:cancel', ({ task_ids }) => cancels.push(...task_ids));
    const client = track(await connectClient(hub.url, hub.token));
    const events = collectEvents(client);

    const { task_ids } = (await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: 'import time; time.sleep(60)', endpoint: 'laptop' }] })) as { task_ids: string[] };
    await waitFor(() => received.tasks.length === 1);
    const cancelled = await client.timeout(5000).emitWithAck('tasks:cancel', { task_ids });
    assert.deepEqual(cancelled, { cancelled: task_ids });
    await waitFor(() => cancels.length === 1, 5000, 'tasks:cancel at the endpoint');
    assert.equal((await hub.call('GET', `/v1/tasks/${task_ids[0]}`)).body.state, 'cancelled');

    const late = await endpoint.timeout(5000).emitWithAck('tasks:done', [done(task_ids[0], 1)]);
    assert.deepEqual(late, { recorded: task_ids });
    const record = (await hub.call('GET', `/v1/tasks/${task_ids[0]}`)).body;
    assert.equal(record.state, 'cancelled');
    assert.equal(record.result, undefined);
    await waitFor(() => events.some((event) => event.type === 'final'));
    assert.equal(events.filter((event) => event.type === 'final').length, 1);
  });

  it('records the first final state of a task and ignores a duplicate', async () => {
    const created = await registerEndpoint(hub, 'laptop');
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'laptop' })).body.task_id;
    await waitFor(() => received.tasks.length === 1);
    await endpoint.timeout(5000).emitWithAck('tasks:done', [done(taskId, 1)]);
    const again = await endpoint.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'failed', timestamps: {}, error: { ename: 'E', evalue: 'late', traceback: [] } }]);
    assert.deepEqual(again, { recorded: [taskId] });
    const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'success');
    assert.equal(record.result.value, 1);
    assert.equal(record.error, undefined);
  });

  it('ignores malformed state and output reports, and still records the valid ones', async () => {
    const created = await registerEndpoint(hub, 'sloppy');
    const endpoint = track(await connectEndpoint(hub.url, created.endpoint_token));
    const received = collect(endpoint);
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'sloppy' })).body.task_id;
    await waitFor(() => received.tasks.length === 1);
    endpoint.emit('tasks:state', [null, { task_id: taskId, state: 'exploded' }, { task_id: taskId, state: 'running', timestamps: {} }] as never);
    endpoint.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'display_data' } }, { task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'ok' } }] as never);
    const ack = await endpoint.timeout(5000).emitWithAck('tasks:done', [{ task_id: 'not-a-task', state: 'running' }, done(taskId, 5)] as never);
    assert.deepEqual(ack, { recorded: [taskId] });
    const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'success');
    assert.equal(typeof record.timestamps.running, 'number');
    assert.deepEqual(record.outputs, [{ output_type: 'stream', name: 'stdout', text: 'ok' }]);
  });

  it('re-sends tasks an endpoint lost after a reconnect, and fails them after the last attempt', async () => {
    const created = await registerEndpoint(hub, 'flaky');
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'flaky' })).body.task_id;
    for (let attempt = 1; attempt <= MAX_TASK_ATTEMPTS; attempt++) {
      const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
      const received = collect(endpoint);
      await waitFor(() => received.tasks.length === 1, 5000, `dispatch ${attempt}`);
      assert.equal((await hub.call('GET', `/v1/tasks/${taskId}`)).body.attempts, attempt);
      endpoint.disconnect();
    }
    const last = track(await connectEndpoint(hub.url, created.endpoint_token, []));
    const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'failed');
    assert.equal(record.error.ename, 'TaskLost');
    assert.match(record.error.evalue, /lost this task 3 times/);
    last.disconnect();
  });

  it('keeps a task an endpoint still holds after a reconnect', async () => {
    const created = await registerEndpoint(hub, 'steady');
    const first = await connectEndpoint(hub.url, created.endpoint_token);
    const received = collect(first);
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'steady' })).body.task_id;
    await waitFor(() => received.tasks.length === 1);
    first.disconnect();
    const second = track(await connectEndpoint(hub.url, created.endpoint_token, [taskId]));
    const again = collect(second);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(again.tasks.length, 0);
    await second.timeout(5000).emitWithAck('tasks:done', [done(taskId, 3)]);
    const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'success');
    assert.equal(record.attempts, 1);
  });

  it('refuses sockets without a valid token with an ErrorBody', async () => {
    const socket = connectSocket(hub.url + CLIENT_NAMESPACE, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: 'nope' } });
    const error = await new Promise<Error & { data?: { code: string } }>((resolve) => socket.once('connect_error', resolve));
    socket.disconnect();
    assert.equal(error.data?.code, 'FUNCX_UNAUTHORIZED');
    const created = await registerEndpoint(hub, 'laptop');
    await assert.rejects(connectClient(hub.url, created.endpoint_token), /endpoint token/);
  });

  it("answers a subscription to another user's task with 403 and to one's own with its record", async () => {
    await registerEndpoint(hub, 'laptop');
    const taskId = (await hub.call('POST', '/v1/tasks', { source: 'x', endpoint: 'laptop' })).body.task_id;
    const bob = track(await connectClient(hub.url, addUser(hub.dataDir, 'bob')));
    const denied = await bob.timeout(5000).emitWithAck('tasks:subscribe', { task_ids: [taskId] });
    assert.ok('error' in denied && denied.error.statusCode === 403);
    const alice = track(await connectClient(hub.url, hub.token));
    const own = await alice.timeout(5000).emitWithAck('tasks:subscribe', { task_ids: [taskId] });
    assert.ok(!('error' in own) && own.tasks[0].task_id === taskId);
    const invalid = await alice.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: 'x' }] } as never);
    assert.ok('error' in invalid && invalid.error.statusCode === 400 && /endpoint/.test(invalid.error.message));
  });

  it('shows an endpoint offline once its heartbeats stop, and online again when they resume', async () => {
    const quick = await startTestHub({ heartbeatIntervalMs: 50 });
    try {
      const created = await registerEndpoint(quick, 'quiet');
      const endpoint = await connectEndpoint(quick.url, created.endpoint_token);
      const client = await connectClient(quick.url, quick.token);
      const statuses: boolean[] = [];
      client.on('endpoint:status', (views) => statuses.push(...views.map((view) => view.status.online)));
      assert.equal((await quick.call('GET', '/v1/endpoints/quiet')).body.status.online, true);
      await waitFor(() => statuses.includes(false), 5000, 'offline after silence');
      assert.equal((await quick.call('GET', '/v1/endpoints/quiet')).body.status.online, false);
      const back = await connectEndpoint(quick.url, created.endpoint_token);
      const beat = setInterval(() => back.emit('heartbeat', { workers_total: 4, workers_busy: 1, queued: 0, running: 1, warm_images: [] }), 20);
      await new Promise((resolve) => setTimeout(resolve, 400));
      clearInterval(beat);
      const view = (await quick.call('GET', '/v1/endpoints/quiet')).body;
      assert.equal(view.status.online, true);
      assert.equal(view.status.workers_busy, 1);
      endpoint.disconnect();
      back.disconnect();
      client.disconnect();
    } finally {
      await quick.cleanup();
    }
  });

  it('lists endpoints over the socket with live status', async () => {
    const created = await registerEndpoint(hub, 'laptop');
    track(await connectEndpoint(hub.url, created.endpoint_token));
    const client = track(await connectClient(hub.url, hub.token));
    const listed = await client.timeout(5000).emitWithAck('endpoints:list');
    assert.ok(!('error' in listed));
    assert.equal(listed.endpoints[0].name, 'laptop');
    assert.equal(listed.endpoints[0].status.online, true);
    assert.equal(listed.endpoints[0].status.workers_total, 2);
  });
});
