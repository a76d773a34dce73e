import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { CLIENT_NAMESPACE, type TaskEvent } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { RedisStore } from '../src/store/redis.js';
import { collect, connectClient, connectEndpoint, eventually, hubCli, registerEndpoint, runThrough, startTestHub, waitFor, type EndpointClient, type TestHub, type UserClient } from './support/hub.js';
import { readEvents } from './support/sse.js';

// With several hubs on one Redis, a user's task events go on that user's channel, and a hub listens there only
// while the user has a client on it (a socket, an event stream, a flow step waiting on a task) and for a linger
// after. Who listens is counted by redis-server itself (PUBSUB NUMSUB).

const LINGER_MS = 200;

describe("users' task event channels across hubs", () => {
  let redis: RedisProcess;
  let admin: ReturnType<typeof createClient>;
  let databases = 0;
  const hubs: TestHub[] = [];
  const closers: (() => unknown)[] = [];

  before(async () => {
    redis = await startRedis();
    admin = createClient({ url: redis.url });
    await admin.connect();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const hub of hubs.splice(0)) await hub.cleanup();
  });
  after(async () => {
    await admin.quit();
    await cleanup();
  });

  async function twoHubs(): Promise<[TestHub, TestHub, string]> {
    const store = `${redis.url}/${++databases}`;
    const options = { store, logLevel: 'error', localUser: 'alice', heartbeatIntervalMs: 100, interestLingerMs: LINGER_MS };
    const pair: [TestHub, TestHub] = [await startTestHub(options), await startTestHub(options)];
    hubs.push(...pair);
    return [...pair, store];
  }

  /** The hubs take a daemon silent for three heartbeats (300 ms here) for gone. */
  function keepBeating(daemon: EndpointClient): void {
    const beating = setInterval(() => daemon.emit('heartbeat', { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] }), 100);
    closers.push(() => clearInterval(beating));
  }

  /** An endpoint registered on `home` whose daemon (a test socket, beating) is connected to `at`. */
  async function daemonOf(home: TestHub, at: TestHub, name: string) {
    const endpoint = await registerEndpoint(home, name);
    const socket = await connectEndpoint(at.url, endpoint.endpoint_token);
    closers.push(() => socket.disconnect());
    keepBeating(socket);
    return { socket, received: collect(socket) };
  }

  /** A client socket of `token`'s user on `hub`, with the task events it receives. */
  async function clientOf(hub: TestHub, token: string): Promise<{ socket: UserClient; events: TaskEvent[] }> {
    const socket = await connectClient(hub.url, token);
    closers.push(() => socket.disconnect());
    const events: TaskEvent[] = [];
    socket.on('task:events', (batch) => events.push(...batch));
    return { socket, events };
  }

  /** A hub's count of client-event messages (funcx_peer_messages_total) by direction and channel. */
  async function peerMessages(hub: TestHub, direction: 'published' | 'received', channel: 'shared' | 'user'): Promise<number> {
    const text = (await hub.running.app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((row) => row.startsWith(`funcx_peer_messages_total{direction="${direction}",channel="${channel}"}`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  /** How many connections listen on the user's task event channel. */
  async function listeners(hub: TestHub, user: string): Promise<number> {
    const channel = (hub.running.hub.store as RedisStore).keys.userEventsChannel(user);
    return Number((await admin.pubSubNumSub(channel))[channel] ?? 0);
  }
  const until = (hub: TestHub, user: string, count: number, what: string) =>
    eventually(async () => ((await listeners(hub, user)) === count ? true : undefined), what, 5000);

  it('a hub listens on a user’s channel from before that user’s socket or stream is connected, and stops a linger after the last leaves', async () => {
    const [a, b] = await twoHubs();
    assert.equal(await listeners(a, 'alice'), 0, 'no hub has a client of alice');

    const socket: UserClient = await connectClient(a.url, a.token);
    closers.push(() => socket.disconnect());
    assert.equal(await listeners(a, 'alice'), 1, 'hub A listened before the socket was connected');

    const controller = new AbortController();
    const stream = readEvents(await fetch(`${b.url}/v1/events`, { headers: { authorization: `Bearer ${b.token}` }, signal: controller.signal }));
    const ended = stream.done.catch(() => undefined);
    closers.push(() => ended);
    closers.push(() => controller.abort());
    await waitFor(() => stream.events.some((event) => event.event === 'ready'), 5000, 'the stream on B');
    assert.equal(await listeners(a, 'alice'), 2, 'hub B listened before its stream was ready');

    socket.disconnect();
    controller.abort();
    await until(a, 'alice', 0, 'both hubs to stop listening a linger after alice left');
  });

  it('a socket connects, and an event stream starts, only once the user’s events from other hubs reach the hub', async () => {
    const hub = await startTestHub({ logLevel: 'error', interestLingerMs: LINGER_MS });
    hubs.push(hub);
    const clients = hub.running.io.of(CLIENT_NAMESPACE);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // What the hub had let in when it asked for alice's events: nothing yet, each time.
    const letIn: { sockets: number; streams: number }[] = [];
    hub.running.hub.interest.watch({
      gained: () => {
        letIn.push({ sockets: clients.sockets.size, streams: hub.running.hub.eventStreams.size });
        return gate;
      },
      lost: () => undefined,
    });
    const connecting = connectClient(hub.url, hub.token);
    await waitFor(() => letIn.length === 1, 5000, 'the hub to ask for alice’s events');
    assert.deepEqual(letIn, [{ sockets: 0, streams: 0 }], 'asked before the socket was in');
    open();
    const socket = await connecting;
    closers.push(() => socket.disconnect());

    // Asked again after the linger, for the stream.
    socket.disconnect();
    await waitFor(() => hub.running.hub.interest.users().length === 0, 5000, 'the linger to end');
    const controller = new AbortController();
    closers.push(() => controller.abort());
    const stream = readEvents(await fetch(`${hub.url}/v1/events`, { headers: { authorization: `Bearer ${hub.token}` }, signal: controller.signal }));
    const ended = stream.done.catch(() => undefined);
    closers.push(() => ended);
    await waitFor(() => stream.events.some((event) => event.event === 'ready'), 5000, 'the stream');
    assert.deepEqual(letIn[1], { sockets: 0, streams: 0 }, 'asked before the stream was in');
  });

  it('a hub with no client of the user hears none of its task events; a client of hub A hears those of an endpoint on hub B', async () => {
    const [a, b, store] = await twoHubs();
    const added = await hubCli(['users', 'add', 'bob', '--store', store]);
    assert.equal(added.code, 0, added.stderr);
    const bobToken = added.stdout.trim();
    const { socket: daemon, received } = await daemonOf(a, b, 'laptop');
    const { events: aliceEvents } = await clientOf(a, a.token);
    const { events: bobEvents } = await clientOf(b, bobToken);
    assert.equal(await listeners(a, 'alice'), 1, 'only hub A listens for alice');
    assert.equal(await listeners(a, 'bob'), 1, 'only hub B listens for bob');

    const taskId = (await a.call('POST', '/v1/tasks', { source: '6 * 7', endpoint: 'laptop' })).body.task_id as string;
    await waitFor(() => received.tasks.some((task) => task.task_id === taskId), 5000, 'the dispatch by hub B');
    daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
    await daemon.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value: 42, data: { 'text/plain': '42' } } }]);
    await waitFor(() => aliceEvents.some((event) => event.type === 'final' && event.task_id === taskId), 5000, 'the final event on hub A');
    const states = aliceEvents.filter((event) => event.task_id === taskId && event.type === 'state').map((event) => event.type === 'state' && event.state);
    assert.ok(states.includes('running'), `alice on A heard the state hub B had from the endpoint (${states.join(', ')})`);
    assert.deepEqual(bobEvents, [], "bob's client heard nothing of alice's task");
    assert.ok((await peerMessages(a, 'published', 'user')) > 0, 'hub A published the states it wrote on submission');
    assert.ok((await peerMessages(b, 'published', 'user')) > 0, 'hub B published what the endpoint reported');
    assert.ok((await peerMessages(a, 'received', 'user')) > 0, 'hub A received them');
    assert.equal(await peerMessages(b, 'received', 'user'), 0, 'hub B, with no client of alice, received none of her task events');
  });

  it('a hub publishes a user’s task events only while another hub listens, and again once one wants them', async () => {
    const [a, b] = await twoHubs();
    const daemon = await daemonOf(a, a, 'laptop');
    const { socket: onA, events: eventsOnA } = await clientOf(a, a.token);

    await runThrough(onA, eventsOnA, daemon, 'laptop', 1);
    const afterFirst = await peerMessages(a, 'published', 'user');
    assert.ok(afterFirst > 0, 'hub A published until Redis counted no other listener');
    await runThrough(onA, eventsOnA, daemon, 'laptop', 2);
    await runThrough(onA, eventsOnA, daemon, 'laptop', 3);
    assert.equal(await peerMessages(a, 'published', 'user'), afterFirst, 'with no other hub listening for alice, hub A published nothing for two tasks');

    const { events: eventsOnB } = await clientOf(b, b.token);
    const taskId = await runThrough(onA, eventsOnA, daemon, 'laptop', 4);
    await waitFor(() => eventsOnB.some((event) => event.type === 'final' && event.task_id === taskId), 5000, 'the final event on hub B');
    const seen = eventsOnB.filter((event) => event.task_id === taskId).map((event) => (event.type === 'state' ? event.state : event.type));
    assert.deepEqual(seen, eventsOnA.filter((event) => event.task_id === taskId).map((event) => (event.type === 'state' ? event.state : event.type)), 'hub B’s client saw what hub A’s did');
    assert.ok((await peerMessages(b, 'received', 'user')) > 0);
    assert.equal(await peerMessages(a, 'received', 'user'), 0, 'hub A, listening for alice too, skipped its own messages');
  });

  it('a flow step waiting on a task has its hub listen for the owner’s events until the step ends', async () => {
    const [a, b] = await twoHubs();
    const { socket: daemon, received } = await daemonOf(a, b, 'site');
    const flow = await a.call('POST', '/v1/flows', {
      title: 'one task',
      definition: { StartAt: 'run', States: { run: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'site', source: '1' }, ResultPath: '$.run', End: true } } },
    });
    assert.equal(flow.statusCode, 201, JSON.stringify(flow.body));
    const started = await a.call('POST', `/v1/flows/${flow.body.flow_id}/run`, { input: {} });
    assert.equal(started.statusCode, 201, JSON.stringify(started.body));
    await waitFor(() => received.tasks.length === 1, 5000, 'the flow’s task at the endpoint');
    await until(a, 'alice', 1, 'the hub driving the run to listen for alice while her step waits');

    const [task] = received.tasks;
    await daemon.timeout(5000).emitWithAck('tasks:done', [{ task_id: task.task_id, state: 'success', timestamps: {}, result: { value: 1, data: { 'text/plain': '1' } } }]);
    await eventually(async () => {
      const view = await a.call('GET', `/v1/flow-runs/${started.body.run_id}`);
      return view.body.status === 'SUCCEEDED' ? true : undefined;
    }, 'the run to succeed');
    await until(a, 'alice', 0, 'no hub to listen for alice once the step has ended');
  });
});
