import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import type { DispatchedTask, TaskCompletion } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import {
  collect,
  connectEndpoint,
  registerEndpoint,
  startTestHub,
  type EndpointClient,
  type TestHub,
} from './support/hub.js';
import type { HubOptions } from '../src/options.js';

const SOURCE = 'def double(x, scale=1):\n    print("computing", x)\n    return x * 2 * scale\n';

/** An endpoint socket that runs `double` itself: it answers every task it is sent, with one printed line. */
function answering(endpoint: EndpointClient, value: (task: DispatchedTask) => unknown = (task) => (task.args[0] as number) * 2): DispatchedTask[] {
  const received = collect(endpoint);
  endpoint.on('tasks:dispatch', ({ tasks }) => {
    endpoint.emit('tasks:output', tasks.map((task) => ({ task_id: task.task_id, output: { output_type: 'stream' as const, name: 'stdout' as const, text: `computing ${JSON.stringify(task.args[0])}\n` } })));
    const completions: TaskCompletion[] = tasks.map((task) => {
      const v = value(task);
      if (v instanceof Error) return { task_id: task.task_id, state: 'failed', timestamps: {}, error: { ename: 'ValueError', evalue: v.message, traceback: [] } };
      return { task_id: task.task_id, state: 'success', timestamps: {}, result: { value: v as number, data: { 'text/plain': JSON.stringify(v) } } };
    });
    endpoint.emit('tasks:done', completions, () => undefined);
  });
  return received.tasks;
}

interface World {
  hub: TestHub;
  endpoint: EndpointClient;
  dispatched: DispatchedTask[];
  pureId: string;
  plainId: string;
}

async function world(options: HubOptions = {}, answer?: (task: DispatchedTask) => unknown): Promise<World> {
  const hub = await startTestHub(options);
  const created = await registerEndpoint(hub, 'laptop');
  const endpoint = await connectEndpoint(hub.url, created.endpoint_token);
  const dispatched = answering(endpoint, answer);
  const pure = await hub.call('POST', '/v1/functions', { name: 'double', source: SOURCE, entrypoint: 'double', pure: true });
  const plain = await hub.call('POST', '/v1/functions', { name: 'double_plain', source: SOURCE, entrypoint: 'double' });
  assert.equal(pure.statusCode, 201, JSON.stringify(pure.body));
  return { hub, endpoint, dispatched, pureId: pure.body.function_id, plainId: plain.body.function_id };
}

async function finished(hub: TestHub, taskId: string, token?: string): Promise<any> {
  let record: any;
  const deadline = Date.now() + 5_000;
  for (;;) {
    record = (await hub.call('GET', `/v1/tasks/${taskId}`, undefined, token)).body;
    if (['success', 'failed', 'cancelled'].includes(record.state)) return record;
    if (Date.now() > deadline) throw new Error(`task ${taskId} did not finish: ${JSON.stringify(record)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function run(hub: TestHub, body: Record<string, unknown>, token?: string): Promise<any> {
  const submitted = await hub.call('POST', '/v1/tasks', { endpoint: 'alice/laptop', ...body }, token);
  assert.equal(submitted.statusCode, 202, JSON.stringify(submitted.body));
  return submitted.body.task_id as string;
}

async function metric(hub: TestHub, name: string): Promise<number> {
  const response = await hub.running.app.inject({ method: 'GET', url: '/metrics' });
  const line = response.body.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('memoized results at the hub (embedded store)', () => {
  const worlds: World[] = [];
  const open = async (options?: HubOptions, answer?: (task: DispatchedTask) => unknown) => {
    const w = await world(options, answer);
    worlds.push(w);
    return w;
  };
  afterEach(async () => {
    mock.timers.reset();
    for (const w of worlds.splice(0)) {
      w.endpoint.disconnect();
      await w.hub.cleanup();
    }
  });

  it('answers a repeat of a pure function without reaching the endpoint, marked cached with the first task', async () => {
    const { hub, dispatched, pureId } = await open();
    const first = await finished(hub, await run(hub, { function_id: pureId, args: [21] }));
    assert.equal(first.result.value, 42);
    assert.equal(first.cached, undefined);
    const repeat = await finished(hub, await run(hub, { function_id: pureId, args: [21] }));
    assert.equal(repeat.state, 'success');
    assert.equal(repeat.result.value, 42);
    assert.deepEqual(repeat.cached, { task_id: first.task_id, finished_at: first.timestamps.success });
    assert.deepEqual(repeat.outputs, first.outputs, 'what the first run printed comes with the answer');
    assert.equal(dispatched.length, 1, 'the endpoint saw the first task only');
    assert.equal(await metric(hub, 'funcx_memo_hits_total'), 1);
    assert.equal(await metric(hub, 'funcx_memo_misses_total'), 1);
    assert.equal(await metric(hub, 'funcx_memo_stored_total'), 1);
  });

  it('keys on the arguments (kwargs in any order) and the image, and keeps nothing of a failed task', async () => {
    const { hub, dispatched, pureId } = await open({}, (task) => (task.args[0] === 0 ? new Error('zero') : (task.args[0] as number) * 2));
    await finished(hub, await run(hub, { function_id: pureId, args: [1], kwargs: { scale: 1, unit: 'm' } }));
    const sameKwargs = await finished(hub, await run(hub, { function_id: pureId, args: [1], kwargs: { unit: 'm', scale: 1 } }));
    assert.ok(sameKwargs.cached, 'kwargs in another order are the same call');
    const otherArgs = await finished(hub, await run(hub, { function_id: pureId, args: [2], kwargs: { scale: 1, unit: 'm' } }));
    assert.equal(otherArgs.cached, undefined);
    const otherImage = await finished(hub, await run(hub, { function_id: pureId, args: [1], kwargs: { scale: 1, unit: 'm' }, container_image: 'localhost/other' }));
    assert.equal(otherImage.cached, undefined, 'another container image is another call');
    assert.equal((await finished(hub, await run(hub, { function_id: pureId, args: [0] }))).state, 'failed');
    const failedAgain = await finished(hub, await run(hub, { function_id: pureId, args: [0] }));
    assert.equal(failedAgain.state, 'failed');
    assert.equal(failedAgain.cached, undefined, 'a failure is not memoized: the call runs again');
    assert.equal(dispatched.length, 5);
  });

  it('memoizes a task of any function with cache: true, and runs a pure one again with cache: false', async () => {
    const { hub, dispatched, pureId, plainId } = await open();
    await finished(hub, await run(hub, { function_id: plainId, args: [5] }));
    assert.equal((await finished(hub, await run(hub, { function_id: plainId, args: [5] }))).cached, undefined, 'not pure: runs each time');
    await finished(hub, await run(hub, { function_id: plainId, args: [6], cache: true }));
    assert.ok((await finished(hub, await run(hub, { function_id: plainId, args: [6], cache: true }))).cached);
    await finished(hub, await run(hub, { function_id: pureId, args: [7] }));
    const forced = await finished(hub, await run(hub, { function_id: pureId, args: [7], cache: false }));
    assert.equal(forced.cached, undefined);
    const inline = { source: SOURCE, entrypoint: 'double', args: [8], cache: true };
    await finished(hub, await run(hub, inline));
    assert.ok((await finished(hub, await run(hub, inline))).cached, 'inline source is keyed by its code too');
    assert.equal(dispatched.length, 6);
  });

  it('never answers one user from another user\'s result', async () => {
    const { hub, dispatched, pureId } = await open();
    const bob = (await hub.call('POST', '/v1/users', { name: 'bob' })).body.token as string;
    assert.equal((await hub.call('PUT', `/v1/functions/${pureId}/sharing`, { users: ['bob'] })).statusCode, 200);
    assert.equal((await hub.call('PUT', '/v1/endpoints/laptop/sharing', { users: ['bob'] })).statusCode, 200);
    await finished(hub, await run(hub, { function_id: pureId, args: [3] }));
    const bobs = await finished(hub, await run(hub, { function_id: pureId, args: [3] }, bob), bob);
    assert.equal(bobs.cached, undefined);
    assert.equal(dispatched.length, 2);
    assert.ok((await finished(hub, await run(hub, { function_id: pureId, args: [3] }, bob), bob)).cached, "bob's own repeat is his");
  });

  it('does not use a result once its time to live has passed', async () => {
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const { hub, pureId } = await open({ memoTtlMs: 60_000 });
    await finished(hub, await run(hub, { function_id: pureId, args: [4] }));
    mock.timers.tick(59_000);
    assert.ok((await finished(hub, await run(hub, { function_id: pureId, args: [4] }))).cached, 'within its time');
    mock.timers.tick(1_001);
    const late = (await hub.call('GET', `/v1/tasks/${await run(hub, { function_id: pureId, args: [4] })}`)).body;
    assert.equal(late.cached, undefined, 'past its time the call runs again');
    assert.notEqual(late.state, 'success');
    assert.equal(await metric(hub, 'funcx_memo_misses_total'), 2);
  });

  it("keeps each user's memoized results within the limit, dropping the oldest first", async () => {
    const text = (n: number) => String(n).repeat(150);
    // Each entry (result and printed line) is about 550 bytes: two fit in 1,200, a third pushes out the first.
    const { hub, dispatched, pureId } = await open({ memoUserBytes: 1_200 }, (task) => text(task.args[0] as number));
    for (const n of [1, 2, 3]) await finished(hub, await run(hub, { function_id: pureId, args: [n] }));
    assert.equal(await metric(hub, 'funcx_memo_evicted_total'), 1);
    assert.ok((await finished(hub, await run(hub, { function_id: pureId, args: [3] }))).cached);
    assert.ok((await finished(hub, await run(hub, { function_id: pureId, args: [2] }))).cached);
    assert.equal((await finished(hub, await run(hub, { function_id: pureId, args: [1] }))).cached, undefined);
    assert.equal(dispatched.length, 4);
    const usage = await hub.running.hub.memo.usage('alice');
    assert.ok(usage > 0 && usage <= 1_200, `usage ${usage} within the limit`);
  });

  it('does not keep a result that is a data reference (its bytes live at the endpoint)', async () => {
    const ref = { $ref: `funcx-data://endpoint.${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}/${'a'.repeat(64)}`, size: 5, digest: `sha256:${'a'.repeat(64)}`, kind: 'bytes', endpoint_id: 'e' };
    const { hub, dispatched, pureId } = await open({}, () => ref);
    assert.deepEqual((await finished(hub, await run(hub, { function_id: pureId, args: [1] }))).result.value, ref);
    assert.equal((await finished(hub, await run(hub, { function_id: pureId, args: [1] }))).cached, undefined);
    assert.equal(dispatched.length, 2);
  });

  it('refuses a cache or pure that is not a boolean, naming the field', async () => {
    const { hub, pureId } = await open();
    const task = await hub.call('POST', '/v1/tasks', { function_id: pureId, endpoint: 'laptop', cache: 'yes' });
    assert.equal(task.statusCode, 400);
    assert.equal(task.body.code, 'FUNCX_BAD_REQUEST');
    assert.match(task.body.message, /body\/cache must be boolean/);
    const fn = await hub.call('POST', '/v1/functions', { name: 'f', source: SOURCE, pure: 1 });
    assert.equal(fn.statusCode, 400);
    assert.match(fn.body.message, /body\/pure must be boolean/);
    assert.equal((await hub.call('GET', `/v1/functions/${pureId}`)).body.pure, true);
  });
});

describe('memoized results at the hub (Redis store, two hubs)', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(cleanup);

  it('a result computed through one hub answers a repeat sent to another, within the TTL and the limit', async () => {
    const a = await world({ store: `${redis.url}/1` });
    const b = await startTestHub({ store: `${redis.url}/1`, dir: undefined });
    try {
      const first = await finished(a.hub, await run(a.hub, { function_id: a.pureId, args: [10] }));
      const repeat = await finished(b, await run(b, { function_id: a.pureId, args: [10] }, a.hub.token), a.hub.token);
      assert.equal(repeat.result.value, 20);
      assert.deepEqual(repeat.cached?.task_id, first.task_id);
      assert.equal(a.dispatched.length, 1);
      assert.equal(await metric(b, 'funcx_memo_hits_total'), 1);
      assert.equal(await metric(a.hub, 'funcx_memo_misses_total'), 1);
    } finally {
      a.endpoint.disconnect();
      await b.cleanup();
      await a.hub.cleanup();
    }
  });
});
