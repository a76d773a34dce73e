import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { POLICY_NAMES, type EndpointLoad, type TaskRecord } from '@funcx/protocol';
import {
  collect,
  connectClient,
  connectEndpoint,
  eventually,
  registerEndpoint,
  startTestHub,
  type EndpointClient,
  type TestHub,
  type UserClient,
} from './support/hub.js';

/**
 * Batches routed across several endpoints by each policy, on a real hub with endpoint sockets that report the
 * loads each test sets. Those endpoints never finish a task, so what a batch sees of them is what they report
 * (and the hub's queue for them, which the dispatch empties before the submission is acknowledged).
 */

let hub: TestHub;
const sockets: (EndpointClient | UserClient)[] = [];

before(async () => {
  hub = await startTestHub({ rateLimit: 0, requestRateLimit: 0 });
});
after(async () => {
  for (const socket of sockets) socket.disconnect();
  await hub.cleanup();
});

function load(workers: number, busy = 0, warm: EndpointLoad['warm_images'] = []): EndpointLoad {
  return { workers_total: workers, workers_busy: busy, queued: 0, running: busy, warm_images: warm };
}

interface Site {
  id: string;
  name: string;
  socket: EndpointClient;
  received: ReturnType<typeof collect>;
}

/** An endpoint, connected, reporting `initial`; `report` sends another load and waits until the hub shows it. */
async function site(name: string, initial: EndpointLoad): Promise<Site & { report(next: EndpointLoad): Promise<void> }> {
  const { endpoint_id, endpoint_token } = await registerEndpoint(hub, name);
  const socket = await connectEndpoint(hub.url, endpoint_token);
  sockets.push(socket);
  const received = collect(socket);
  const report = async (next: EndpointLoad) => {
    socket.emit('heartbeat', next);
    await eventually(async () => {
      const { status } = (await hub.call('GET', `/v1/endpoints/${endpoint_id}`)).body;
      return status.workers_total === next.workers_total && status.workers_busy === next.workers_busy && JSON.stringify(status.warm_images) === JSON.stringify(next.warm_images) ? true : undefined;
    }, `${name} to report its load`);
  };
  await report(initial);
  return { id: endpoint_id, name, socket, received, report };
}

async function group(name: string, endpoints: string[], policy?: string): Promise<void> {
  const created = await hub.call('POST', '/v1/endpoint-groups', { name, endpoints, ...(policy ? { policy } : {}) });
  assert.equal(created.statusCode, 201, JSON.stringify(created.body));
}

async function submit(endpoint: string | string[], count: number, extra: object = {}): Promise<string[]> {
  const tasks = Array.from({ length: count }, () => ({ source: 'pass', endpoint, ...extra }));
  const response = await hub.call('POST', '/v1/tasks/batch', { tasks });
  assert.equal(response.statusCode, 202, JSON.stringify(response.body));
  return response.body.task_ids as string[];
}

async function records(taskIds: string[]): Promise<TaskRecord[]> {
  return (await hub.running.hub.store.getTasks(taskIds)) as TaskRecord[];
}

/** How many of the tasks went to each endpoint, by name. */
function spread(tasks: TaskRecord[], sites: Site[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(sites.map((s) => [s.name, 0]));
  for (const task of tasks) counts[sites.find((s) => s.id === task.endpoint_id)?.name ?? task.endpoint_id]++;
  return counts;
}

describe('routing a batch across an endpoint group', () => {
  it('round-robin spreads a batch of 3,000 evenly, each task saying so, and goes on in turn from one submission to the next', async () => {
    const sites = [await site('rr-a', load(4)), await site('rr-b', load(4)), await site('rr-c', load(4))];
    await group('rr', sites.map((s) => s.name), 'round-robin');
    const tasks = await records(await submit('group:rr', 3_000));
    assert.deepEqual(spread(tasks, sites), { 'rr-a': 1_000, 'rr-b': 1_000, 'rr-c': 1_000 });
    assert.deepEqual(tasks[0].routing, { policy: 'round-robin', reason: 'next in turn of 3', candidates: sites.map((s) => s.id), group: 'group:rr' });
    assert.ok(tasks.every((task, i) => task.endpoint_id === sites[i % 3].id), 'in turn, in the order of the group');
    await eventually(async () => (sites.every((s) => s.received.tasks.length === 1_000) ? true : undefined), 'every endpoint to get its thousand');

    const singles = [];
    for (let i = 0; i < 3; i++) singles.push((await records(await submit('group:rr', 1)))[0]);
    assert.deepEqual(singles.map((task) => task.endpoint_id), sites.map((s) => s.id), 'one task at a time takes turns too');
  });

  it('least-loaded fills endpoints in proportion to their free workers, and leaves out an offline one', async () => {
    const big = await site('ll-big', load(4));
    const small = await site('ll-small', load(2));
    const { endpoint_id: offlineId } = await registerEndpoint(hub, 'll-offline');
    await group('ll', ['ll-big', 'll-small', 'll-offline'], 'least-loaded');
    const tasks = await records(await submit('group:ll', 6));
    assert.deepEqual(spread(tasks, [big, small]), { 'll-big': 4, 'll-small': 2 });
    assert.ok(!tasks.some((task) => task.endpoint_id === offlineId));
    assert.deepEqual(tasks.map((task) => task.routing!.reason), [
      'least loaded: 0 of 4 workers busy, 0 queued',
      'least loaded: 0 of 2 workers busy, 0 queued',
      'least loaded: 1 of 4 workers busy, 0 queued',
      'least loaded: 2 of 4 workers busy, 0 queued',
      'least loaded: 1 of 2 workers busy, 0 queued',
      'least loaded: 3 of 4 workers busy, 0 queued',
    ]);
    assert.deepEqual(tasks[0].routing!.candidates, [big.id, small.id, offlineId], 'every member is a candidate; offline ones are chosen only when all are');
  });

  it('warming-aware keeps an image where it is warm until its queue there is one per warm worker, then starts it cold elsewhere', async () => {
    const image = 'localhost/funcx-sci:1';
    const warm = await site('wa-warm', load(2, 0, [{ image, workers: 2, idle: 2 }]));
    const cold = await site('wa-cold', load(4));
    await group('wa', ['wa-cold', 'wa-warm']);
    const tasks = await records(await submit('group:wa', 5, { container_image: image }));
    assert.deepEqual(tasks.map((task) => task.endpoint_id), [warm.id, warm.id, warm.id, warm.id, cold.id]);
    assert.deepEqual(tasks.map((task) => [task.routing!.policy, task.routing!.reason]), [
      ['warming-aware', `warm for image ${image}, 2 idle workers`],
      ['warming-aware', `warm for image ${image}, 1 idle worker`],
      ['warming-aware', `warm for image ${image} (2 warm workers, all busy, 0 queued)`],
      ['warming-aware', `warm for image ${image} (2 warm workers, all busy, 1 queued)`],
      ['warming-aware', `cold start: no idle worker warm for image ${image}; 0 of 4 workers busy, 0 queued`],
    ]);
    assert.ok(tasks.every((task) => task.container_image === image));
  });

  it('random chooses among the online members only', async () => {
    const sites = [await site('rnd-a', load(2)), await site('rnd-b', load(2))];
    const { endpoint_id: offlineId } = await registerEndpoint(hub, 'rnd-offline');
    await group('rnd', ['rnd-a', 'rnd-b', 'rnd-offline'], 'random');
    const tasks = await records(await submit('group:rnd', 300));
    const counts = spread(tasks, sites);
    // Each endpoint is missed by all 300 with a chance of 2^-300.
    assert.ok(counts['rnd-a'] > 0 && counts['rnd-b'] > 0 && counts['rnd-a'] + counts['rnd-b'] === 300, JSON.stringify(counts));
    assert.ok(!tasks.some((task) => task.endpoint_id === offlineId));
    assert.equal(tasks[0].routing!.reason, 'chosen at random among 2');
  });

  it("a submission's policy comes before the group's, and a group without one routes with warming-aware", async () => {
    const sites = [await site('pol-a', load(1)), await site('pol-b', load(1))];
    await group('pol', ['pol-a', 'pol-b'], 'least-loaded');
    const overridden = await records(await submit('group:pol', 2, { policy: 'round-robin' }));
    assert.deepEqual(overridden.map((task) => task.routing!.policy), ['round-robin', 'round-robin']);
    await group('pol-default', ['pol-a', 'pol-b']);
    const [task] = await records(await submit('group:pol-default', 1));
    assert.equal(task.routing!.policy, 'warming-aware');
    assert.equal(task.routing!.reason, 'queued: every worker busy; least loaded: 1 of 1 workers busy, 0 queued', 'each holds one task of the batch before');
    assert.equal(task.endpoint_id, sites[0].id);
  });

  it('tasks submitted one at a time count the ones the hub already handed out, not only the last heartbeat', async () => {
    const sites = [await site('one-a', load(2)), await site('one-b', load(2))];
    await group('one', ['one-a', 'one-b'], 'least-loaded');
    const tasks: TaskRecord[] = [];
    for (let i = 0; i < 5; i++) tasks.push(...(await records(await submit('group:one', 1))));
    assert.deepEqual(tasks.map((task) => task.endpoint_id), [0, 1, 0, 1, 0].map((i) => sites[i].id), 'no heartbeat came in between');
    assert.equal(tasks[4].routing!.reason, 'least loaded: 2 of 2 workers busy, 0 queued');
  });

  it('with every member offline, tasks wait at the least loaded of them', async () => {
    await registerEndpoint(hub, 'off-a');
    await registerEndpoint(hub, 'off-b');
    await group('off', ['off-a', 'off-b'], 'least-loaded');
    const tasks = await records(await submit('group:off', 4));
    assert.equal(new Set(tasks.map((task) => task.endpoint_id)).size, 2, 'the queue at the hub counts: they alternate');
    assert.ok(tasks.every((task) => task.state === 'waiting-for-endpoint'));
  });
});

describe('routing among endpoints named together', () => {
  it('an endpoint list routes like a group, records its candidates and no group, and a task names its routing in GET /v1/tasks/:id', async () => {
    const a = await site('list-a', load(2));
    const b = await site('list-b', load(2));
    const ids = await submit(['list-a', 'list-b', 'list-a'], 4, { policy: 'round-robin' });
    const tasks = await records(ids);
    assert.deepEqual(spread(tasks, [a, b]), { 'list-a': 2, 'list-b': 2 });
    const shown = await hub.call('GET', `/v1/tasks/${ids[1]}`);
    assert.deepEqual(shown.body.routing, { policy: 'round-robin', reason: 'next in turn of 2', candidates: [a.id, b.id] }, 'each endpoint once');
    const single = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'list-a' });
    assert.equal((await hub.call('GET', `/v1/tasks/${single.body.task_id}`)).body.routing, undefined, 'one endpoint named: nothing was routed');
  });

  it('a batch over several targets counts each decision once, whichever target named the endpoint', async () => {
    const a = await site('mix-a', load(2));
    const b = await site('mix-b', load(2));
    await group('mix', ['mix-a', 'mix-b'], 'least-loaded');
    const tasks = [
      ...Array.from({ length: 2 }, () => ({ source: 'pass', endpoint: ['mix-a'] })),
      ...Array.from({ length: 2 }, () => ({ source: 'pass', endpoint: 'group:mix' })),
    ];
    const response = await hub.call('POST', '/v1/tasks/batch', { tasks });
    const routed = await records(response.body.task_ids);
    assert.deepEqual(routed.map((task) => task.endpoint_id), [a.id, a.id, b.id, b.id], 'the group saw mix-a full from the list');
  });

  it('routes the same over the client socket, and the first event of a routed task carries its routing', async () => {
    const a = await site('sock-a', load(2));
    await site('sock-b', load(2));
    await group('sock', ['sock-a', 'sock-b'], 'round-robin');
    const client = await connectClient(hub.url, hub.token);
    sockets.push(client);
    const events: { task_id: string; routing?: unknown }[] = [];
    client.on('task:events', (batch) => events.push(...batch.filter((event) => event.type === 'state')));
    const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: 'pass', endpoint: 'group:sock' }] });
    assert.ok(!('error' in reply));
    const [taskId] = reply.task_ids;
    const first = await eventually(async () => events.find((event) => event.task_id === taskId), 'the first event');
    assert.deepEqual(first.routing, { policy: 'round-robin', reason: 'next in turn of 2', candidates: [a.id, (await hub.call('GET', '/v1/endpoints/sock-b')).body.endpoint_id], group: 'group:sock' });
  });
});

describe('what a routed submission may get wrong', () => {
  it('an unknown group is a 404 that lists the groups you can use', async () => {
    const response = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'group:nope' });
    assert.equal(response.statusCode, 404);
    assert.equal(response.body.code, 'FUNCX_ENDPOINT_GROUP_NOT_FOUND');
    assert.match(response.body.message, /^No endpoint group "nope"\. Endpoint groups you can use: group:ll, group:mix, /);
  });

  it('an empty group is a 409 that says to add endpoints', async () => {
    await group('empty', []);
    const response = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'group:empty' });
    assert.equal(response.statusCode, 409);
    assert.equal(response.body.code, 'FUNCX_ENDPOINT_GROUP_EMPTY');
    assert.match(response.body.message, /Endpoint group "group:empty" has no endpoints, so there is nowhere to route to: add some \(funcx endpoint-groups set empty ENDPOINT/);
  });

  it('a policy that does not exist is a 400 that lists the valid ones, on REST and on the socket', async () => {
    const expected = `must be one of ${POLICY_NAMES.map((name) => `"${name}"`).join(', ')}`;
    const response = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'group:rr', policy: 'fastest' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.body.message, `body/policy ${expected}`);
    const client = await connectClient(hub.url, hub.token);
    sockets.push(client);
    const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: 'pass', endpoint: 'group:rr', policy: 'fastest' as never }] });
    assert.ok('error' in reply);
    assert.equal(reply.error.message, `tasks:submit/tasks/0/policy ${expected}`);
    const creation = await hub.call('POST', '/v1/endpoint-groups', { name: 'bad-policy', endpoints: [], policy: 'fastest' });
    assert.equal(creation.statusCode, 400);
    assert.match(creation.body.message, /body\/policy must be one of "random", /);
  });

  it('a group inside an endpoint list, an empty list, and a bad endpoint in a list say what to write instead', async () => {
    const nested = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: ['rr-a', 'group:rr'] });
    assert.equal(nested.statusCode, 400);
    assert.match(nested.body.message, /"group:rr" is an endpoint group: name a group alone \("endpoint": "group:rr"\), or list its endpoints/);
    const empty = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: [] });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body.message, /body\/endpoint must NOT have fewer than 1 items/);
    const typo = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'pass', endpoint: 'rr-a' }, { source: 'pass', endpoint: ['rr-a', 'rr-x'] }] });
    assert.equal(typo.statusCode, 404);
    assert.match(typo.body.message, /^tasks\[1\]: No endpoint "rr-x"\. Endpoints you can use: /);
    const wrongType = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 7 });
    assert.equal(wrongType.body.message, 'body/endpoint must be string or array');
  });
});
