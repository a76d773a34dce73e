import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { io as connectSocket } from 'socket.io-client';
import { ENDPOINT_NAMESPACE, MAX_TASK_ATTEMPTS, type EndpointView, type TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
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
import { readEvents } from './support/sse.js';

const run = promisify(execFile);
const LOAD = { workers_total: 1, workers_busy: 1, queued: 0, running: 1, warm_images: [] };
const hubBin = fileURLToPath(new URL('../src/main.js', import.meta.url));

const success = (task_id: string, value: number) => ({
  task_id,
  state: 'success' as const,
  timestamps: {},
  result: { value, data: { 'text/plain': String(value) } },
});

async function waitUntil(probe: () => Promise<boolean>, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function collectEvents(client: UserClient): TaskEvent[] {
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  return events;
}

describe('several hubs on one Redis', () => {
  let redis: RedisProcess;
  const hubs: TestHub[] = [];
  let databases = 0;
  const sockets: Array<EndpointClient | UserClient> = [];
  const track = <T extends EndpointClient | UserClient>(socket: T): T => {
    sockets.push(socket);
    return socket;
  };

  /** Two hubs on a fresh database of the shared redis-server, with short heartbeats and leases. */
  async function twoHubs(leaseMs = 10_000): Promise<[TestHub, TestHub]> {
    const db = ++databases;
    const store = `${redis.url}/${db}`;
    const options = { store, logLevel: process.env.FUNCX_TEST_LOG ?? 'error', heartbeatIntervalMs: 100, leaseMs, localUser: 'alice' };
    const pair = [await startTestHub(options), await startTestHub(options)] as [TestHub, TestHub];
    hubs.push(...pair);
    return pair;
  }

  before(async () => {
    redis = await startRedis();
  });
  const timers: NodeJS.Timeout[] = [];
  /** An endpoint socket that gathers what it is sent from before its hello (dispatch may follow the ack at once). */
  async function connectDaemon(url: string, token: string, held: string[] = []) {
    const daemon = track(connectSocket(url + ENDPOINT_NAMESPACE, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } }) as EndpointClient);
    const received = collect(daemon);
    await new Promise<void>((resolve, reject) => {
      daemon.once('connect', resolve);
      daemon.once('connect_error', reject);
    });
    const reply = await daemon.timeout(5000).emitWithAck('hello', { held_task_ids: held, load: LOAD, version: 'test' });
    if ('error' in reply) throw new Error(reply.error.message);
    return { daemon, received };
  }

  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const hub of hubs.splice(0)) await hub.cleanup();
  });
  after(cleanup);

  it('dispatches on hub B a task submitted on hub A, and streams its events to a client on A', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'laptop');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    // The hubs take a daemon silent for three heartbeats (300 ms here) for gone: a slow run must not look like that.
    timers.push(setInterval(() => daemon.emit('heartbeat', LOAD), 100));
    const client = track(await connectClient(a.url, a.token));
    const events = collectEvents(client);

    const submitted = await a.call('POST', '/v1/tasks', { source: '1 + 1', endpoint: 'laptop' });
    assert.equal(submitted.statusCode, 202);
    const taskId = submitted.body.task_id as string;
    await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'dispatch by hub B');

    daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
    daemon.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'hi\n' } }]);
    const ack = await daemon.timeout(5000).emitWithAck('tasks:done', [success(taskId, 2)]);
    assert.deepEqual(ack, { recorded: [taskId] });

    await waitFor(() => events.some((event) => event.type === 'final' && event.task_id === taskId), 5000, 'final event on hub A');
    const kinds = events.filter((event) => event.task_id === taskId).map((event) => event.type);
    assert.ok(kinds.includes('state') && kinds.includes('output'), `events seen on A: ${kinds.join(', ')}`);
    const onA = await a.call('GET', `/v1/tasks/${taskId}`);
    assert.equal(onA.body.state, 'success');
    assert.equal(onA.body.result.value, 2);
    assert.equal(onA.body.outputs[0].text, 'hi\n');
  });

  it('streams to a Server-Sent Events client of hub A the events of a task run by an endpoint on hub B', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'remote');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    const controller = new AbortController();
    const response = await fetch(`${a.url}/v1/events`, { headers: { authorization: `Bearer ${a.token}` }, signal: controller.signal });
    const stream = readEvents(response);
    await waitFor(() => stream.events.some((e) => e.event === 'ready'), 5000, 'the stream');
    try {
      const taskId = (await b.call('POST', '/v1/tasks', { source: '6 * 7', endpoint: 'remote' })).body.task_id as string;
      await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'dispatch by hub B');
      daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
      daemon.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'working\n' } }]);
      await daemon.timeout(5000).emitWithAck('tasks:done', [success(taskId, 42)]);
      const ofTask = () => stream.events.filter((e) => e.event === 'task:events').flatMap((e) => e.data as TaskEvent[]).filter((event) => event.task_id === taskId);
      await waitFor(() => ofTask().some((event) => event.type === 'final'), 5000, 'the final event on A');
      const events = ofTask();
      assert.deepEqual(events.map((event) => (event.type === 'state' ? event.state : event.type)), ['waiting-for-endpoint', 'running', 'output', 'final']);
      const final = events.at(-1)!;
      assert.equal(final.type === 'final' && final.result?.value, 42);
    } finally {
      controller.abort();
      await stream.done.catch(() => undefined);
    }
  });

  it('leaves the clients and endpoints of the other hubs connected when one hub stops', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'stays');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    const client = track(await connectClient(b.url, b.token));
    const onA = track(await connectClient(a.url, a.token));
    hubs.splice(hubs.indexOf(a), 1);
    await a.cleanup();
    await waitFor(() => !onA.connected, 5000, "hub A's own client to be disconnected");
    // Work through hub B afterwards: what a stopping hub disconnects would be gone by then.
    const submitted = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: '1', endpoint: 'stays' }] });
    assert.ok('task_ids' in submitted, JSON.stringify(submitted));
    await waitFor(() => received.tasks.some((task) => task.task_id === submitted.task_ids[0]), 5000, 'dispatch by hub B');
    assert.equal(client.connected, true, 'a client of hub B stays connected when hub A stops');
    assert.equal(daemon.connected, true, 'an endpoint of hub B stays connected when hub A stops');
  });

  it('shows an endpoint connected to hub B online with its load on hub A, and offline once it leaves', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'cluster');
    const client = track(await connectClient(a.url, a.token));
    const statuses: EndpointView[] = [];
    client.on('endpoint:status', (views) => statuses.push(...views));
    const daemon = track(await connectEndpoint(b.url, endpoint.endpoint_token));
    daemon.emit('heartbeat', { workers_total: 8, workers_busy: 3, queued: 0, running: 3, warm_images: [] });

    await waitFor(() => statuses.some((view) => view.status.online && view.status.workers_busy === 3), 5000, 'status pushed to A');
    const seen = await a.call('GET', `/v1/endpoints/${endpoint.endpoint_id}`);
    assert.equal(seen.body.status.online, true);
    assert.equal(seen.body.status.workers_total, 8);

    daemon.disconnect();
    await waitFor(() => statuses.some((view) => !view.status.online), 5000, 'offline pushed to A');
    assert.equal((await a.call('GET', `/v1/endpoints/${endpoint.endpoint_id}`)).body.status.online, false);
  });

  it('cancels on hub A a task running at an endpoint connected to hub B', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'slow');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    const cancelled: string[] = [];
    daemon.on('tasks:cancel', ({ task_ids }) => cancelled.push(...task_ids));
    const client = track(await connectClient(a.url, a.token));
    const events = collectEvents(client);
    const { body } = await a.call('POST', '/v1/tasks', { source: 'import time; time.sleep(60)', endpoint: 'slow' });
    await waitFor(() => received.tasks.length === 1, 5000, 'dispatch');
    assert.equal((await a.call('POST', `/v1/tasks/${body.task_id}/cancel`)).statusCode, 200);
    await waitFor(() => cancelled.includes(body.task_id), 5000, 'cancel relayed to B');
    // B sent the task and keeps its record; what the endpoint reports after the cancel changes nothing.
    daemon.emit('tasks:state', [{ task_id: body.task_id, state: 'running', timestamps: {} }]);
    daemon.emit('tasks:output', [{ task_id: body.task_id, output: { output_type: 'stream', name: 'stdout', text: 'late\n' } }]);
    const late = await daemon.timeout(5000).emitWithAck('tasks:done', [success(body.task_id, 1)]);
    assert.deepEqual(late, { recorded: [body.task_id] }, 'a late result is acknowledged so the endpoint forgets it');
    const record = (await b.call('GET', `/v1/tasks/${body.task_id}`)).body;
    assert.equal(record.state, 'cancelled');
    assert.deepEqual(record.outputs, []);
    await waitFor(() => events.some((event) => event.type === 'final' && event.task_id === body.task_id), 5000, 'the cancel on A');
    const seen = events.filter((event) => event.task_id === body.task_id);
    const cancelledAt = seen.findIndex((event) => event.type === 'final');
    assert.deepEqual(seen.slice(cancelledAt).map((event) => event.type), ['final'], `nothing after the cancel: ${JSON.stringify(seen)}`);
    assert.equal(seen.filter((event) => event.type === 'final').length, 1);
    assert.ok(seen.every((event) => event.type !== 'output'));
  });

  it('lists on hub A the sessions an endpoint connected to hub B reports, and ends one there', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'kept');
    const { daemon } = await connectDaemon(b.url, endpoint.endpoint_token);
    const ends: { owner: string; name: string }[] = [];
    daemon.on('sessions:end', ({ sessions }) => ends.push(...sessions));
    const session = { owner: 'alice', name: 'nb', state: 'ready' as const, tasks: 2, queued: 0, last_used: 1, started: 1 };
    daemon.emit('heartbeat', { ...LOAD, sessions: [session, { ...session, owner: 'bob' }], max_sessions: 4, session_idle_s: 60 });
    await waitUntil(async () => (await a.call('GET', '/v1/sessions')).body.sessions?.length === 1, 'the session listed on A');
    const listed = (await a.call('GET', '/v1/sessions')).body.sessions;
    assert.deepEqual(listed.map((each: { owner: string; endpoint: string; idle_s: number }) => [each.owner, each.endpoint, each.idle_s]), [['alice', 'kept', 60]], "only alice's own");
    assert.equal((await a.call('GET', `/v1/endpoints/${endpoint.endpoint_id}`)).body.status.session_count, 2);
    assert.equal((await a.call('DELETE', '/v1/sessions/nb')).statusCode, 200);
    await waitFor(() => ends.length === 1, 5000, 'the end relayed to B');
    assert.deepEqual(ends, [{ owner: 'alice', name: 'nb' }]);
  });

  it('puts tasks back in the queue when a lease runs out, and fails them after the last attempt', async () => {
    const [a, b] = await twoHubs(400);
    const endpoint = await registerEndpoint(a, 'flaky');
    const { body } = await a.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'flaky' });
    const taskId = body.task_id as string;
    const client = track(await connectClient(a.url, a.token));
    const events = collectEvents(client);

    const stateOn = async (hub: TestHub) => (await hub.call('GET', `/v1/tasks/${taskId}`)).body as { state: string; attempts: number };
    for (let attempt = 1; attempt <= MAX_TASK_ATTEMPTS; attempt++) {
      // Each time a daemon, on one hub or the other, starts the task and is gone for good.
      const { daemon, received } = await connectDaemon((attempt % 2 ? b : a).url, endpoint.endpoint_token);
      const beating = setInterval(() => daemon.emit('heartbeat', LOAD), 100);
      timers.push(beating);
      await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, `dispatch ${attempt}`);
      daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
      await waitUntil(async () => (await stateOn(a)).state === 'running', `running ${attempt}`);
      assert.equal((await stateOn(a)).attempts, attempt);
      clearInterval(beating);
      daemon.disconnect();
      const expected = attempt < MAX_TASK_ATTEMPTS ? 'waiting-for-endpoint' : 'failed';
      await waitUntil(async () => (await stateOn(b)).state === expected, `${expected} after lease ${attempt}`);
    }
    assert.ok(events.some((event) => event.type === 'state' && event.state === 'waiting-for-endpoint' && event.task_id === taskId));
    const record = (await b.call('GET', `/v1/tasks/${taskId}`)).body;
    assert.equal(record.state, 'failed');
    assert.equal(record.error.ename, 'TaskLost');
    assert.match(record.error.evalue, new RegExp(`lost this task ${MAX_TASK_ATTEMPTS} times`));
  });

  it('closes the connection on hub A of an endpoint that says hello to hub B, and records one result of the two it sent', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(a, 'twice');
    const client = track(await connectClient(a.url, a.token));
    const events = collectEvents(client);
    const { daemon: first, received } = await connectDaemon(a.url, endpoint.endpoint_token);
    const { body } = await b.call('POST', '/v1/tasks/batch', { tasks: Array.from({ length: 50 }, () => ({ source: 'pass', endpoint: 'twice' })) });
    const ids = body.task_ids as string[];
    await waitFor(() => received.tasks.length === 50, 5000, 'dispatch');

    // The endpoint reconnects through hub B while its completions are on their way to hub A.
    const ackA = first.timeout(5000).emitWithAck('tasks:done', ids.map((id) => success(id, 1))).catch(() => 'cut');
    const second = track(await connectEndpoint(b.url, endpoint.endpoint_token, ids));
    await waitFor(() => first.disconnected, 5000, 'hub A to close the connection the endpoint left');
    const ackB = await second.timeout(5000).emitWithAck('tasks:done', ids.map((id) => success(id, 2)));
    assert.deepEqual(ackB, { recorded: ids });
    await ackA;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const finals = events.filter((event) => event.type === 'final');
    assert.equal(finals.length, 50, 'one final event per task');
    for (const id of ids) {
      const [fromA, fromB] = [(await a.call('GET', `/v1/tasks/${id}`)).body, (await b.call('GET', `/v1/tasks/${id}`)).body];
      assert.equal(fromA.state, 'success');
      assert.deepEqual(fromA.result, fromB.result);
      const final = finals.find((event) => event.task_id === id);
      assert.ok(final?.type === 'final');
      assert.deepEqual(final.result, fromA.result, 'the final event carries the recorded result');
    }
  });

  /**
   * Holds the hub's first write of a record in `state`, and every write after it, in order, until `open` is
   * called: the writes have not left for the store yet (it applies a hub's writes in the order they were sent).
   */
  function holdWrites(hub: TestHub, state: string) {
    const store = hub.running.hub.store;
    const putTasks = store.putTasks.bind(store);
    const waiting: (() => void)[] = [];
    store.putTasks = async (tasks, made) => {
      if (waiting.length > 0 || tasks.some((task) => task.state === state)) await new Promise<void>((resolve) => waiting.push(resolve));
      return putTasks(tasks, made);
    };
    return {
      held: () => waiting.length,
      open: () => {
        store.putTasks = putTasks;
        for (const resolve of waiting.splice(0)) resolve();
      },
    };
  }

  it("tells every hub's clients a result as its write leaves, before the store has answered, and a read through another hub finds it", async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(b, 'quick');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    timers.push(setInterval(() => daemon.emit('heartbeat', LOAD), 100));
    const onB = collectEvents(track(await connectClient(b.url, b.token)));
    const onA = collectEvents(track(await connectClient(a.url, a.token)));
    const { body } = await b.call('POST', '/v1/tasks', { source: '1', endpoint: 'quick' });
    const taskId = body.task_id as string;
    await waitFor(() => received.tasks.length === 1, 5000, 'dispatch');

    // Hub B's view of Redis's answer to the result's write is held; the write itself goes out as ever.
    const storeB = b.running.hub.store;
    const putTasks = storeB.putTasks;
    let answer!: () => void;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    let held = 0;
    storeB.putTasks = (tasks, made) => {
      const written = putTasks.call(storeB, tasks, made);
      if (!tasks.some((task) => task.state === 'success')) return written;
      held++;
      return answered.then(() => written);
    };
    let acked = false;
    const ack = daemon.timeout(5000).emitWithAck('tasks:done', [success(taskId, 7)]).then((reply) => ((acked = true), reply));
    try {
      await waitFor(() => [onA, onB].every((events) => events.some((event) => event.type === 'final' && event.task_id === taskId)), 5000, 'the final event on both hubs');
      assert.equal(held, 1, 'told while the answer to its write is held');
      assert.equal(acked, false, 'the endpoint is acknowledged only once the store has answered');
      const fromA = (await a.call('GET', `/v1/tasks/${taskId}`)).body;
      assert.equal(fromA.state, 'success', 'a read through hub A finds the result it was told of');
      assert.equal(fromA.result.value, 7);
    } finally {
      storeB.putTasks = putTasks;
      answer();
    }
    assert.deepEqual(await ack, { recorded: [taskId] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const events of [onA, onB]) assert.equal(events.filter((event) => event.type === 'final').length, 1, 'one final event on each hub');
  });

  it('leaves a cancel made on hub A to the hub of the endpoint, and tells no result of a task whose cancel that hub is writing', async () => {
    const [a, b] = await twoHubs();
    const endpoint = await registerEndpoint(b, 'racing');
    const { daemon, received } = await connectDaemon(b.url, endpoint.endpoint_token);
    timers.push(setInterval(() => daemon.emit('heartbeat', LOAD), 100));
    const cancelled: string[] = [];
    daemon.on('tasks:cancel', ({ task_ids }) => cancelled.push(...task_ids));
    const onB = collectEvents(track(await connectClient(b.url, b.token)));
    const { body } = await a.call('POST', '/v1/tasks', { source: 'import time; time.sleep(60)', endpoint: 'racing' });
    const taskId = body.task_id as string;
    await waitFor(() => received.tasks.length === 1, 5000, 'dispatch');

    const writtenByA: string[] = [];
    const storeA = a.running.hub.store;
    const putTasksA = storeA.putTasks.bind(storeA);
    storeA.putTasks = (tasks, made) => {
      for (const task of tasks) if (task.state === 'cancelled') writtenByA.push(task.task_id);
      return putTasksA(tasks, made);
    };
    const writes = holdWrites(b, 'cancelled');
    const cancel = a.call('POST', `/v1/tasks/${taskId}/cancel`);
    await waitUntil(async () => writes.held() === 1, "hub B's write of the cancel");
    // The result arrives while the cancel is on its way to the store.
    const late = daemon.timeout(5000).emitWithAck('tasks:done', [success(taskId, 3)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!onB.some((event) => event.type === 'final'), `no result is told while the cancel is being written: ${JSON.stringify(onB)}`);
    writes.open();
    assert.equal((await cancel).statusCode, 200);
    assert.deepEqual(await late, { recorded: [taskId] });
    assert.deepEqual(writtenByA, [], 'hub A wrote no cancel');
    await waitFor(() => cancelled.includes(taskId), 5000, 'the cancel sent to the daemon');
    await waitFor(() => onB.some((event) => event.type === 'final'), 5000, 'the final event');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const finals = onB.filter((event) => event.type === 'final');
    assert.deepEqual(finals.map((event) => event.type === 'final' && event.state), ['cancelled']);
    assert.equal((await a.call('GET', `/v1/tasks/${taskId}`)).body.state, 'cancelled');
  });

  it('lets a user added with funcx-hub users add --store redis:// sign in on every hub', async () => {
    const [a, b] = await twoHubs();
    const store = a.running.hub.options.store!;
    const { stdout } = await run(process.execPath, [hubBin, 'users', 'add', 'bob', '--store', store], { timeout: 10_000 });
    const token = stdout.trim();
    assert.match(token, /^fxu_/);
    assert.equal((await a.call('GET', '/v1/functions', undefined, token)).statusCode, 200);
    assert.equal((await b.call('GET', '/v1/functions', undefined, token)).statusCode, 200);
  });
});
