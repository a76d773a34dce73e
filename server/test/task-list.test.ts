import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { TaskPage } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { registerEndpoint, startTestHub, type TestHub } from './support/hub.js';

let hub: TestHub;
let bob: string;
const ids: string[] = [];

before(async () => {
  hub = await startTestHub();
  bob = addUser(hub.dataDir, 'bob');
  await registerEndpoint(hub, 'one');
  await registerEndpoint(hub, 'two');
  for (let i = 0; i < 5; i++) ids.push((await hub.call('POST', '/v1/tasks', { source: `${i}`, endpoint: i < 3 ? 'one' : 'two' })).body.task_id);
  const batch = await hub.call('POST', '/v1/tasks/batch', { tasks: Array.from({ length: 4 }, () => ({ source: 'pass', endpoint: 'one' })) });
  ids.push(...batch.body.task_ids);
  await hub.call('POST', `/v1/tasks/${ids[1]}/cancel`);
});
after(async () => {
  await hub.cleanup();
});

it("lists the caller's tasks newest first, each page followed by the next through its cursor", async () => {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const response = await hub.call('GET', `/v1/tasks?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(response.statusCode, 200);
    const body = response.body as TaskPage;
    seen.push(...body.tasks.map((task) => task.task_id));
    assert.equal((body.tasks[0] as Record<string, unknown>).args, undefined, 'a summary, without arguments or outputs');
    if (!body.next_cursor) break;
    cursor = body.next_cursor;
  }
  assert.deepEqual([...seen].sort(), [...ids].sort(), 'every task once');
  assert.deepEqual(seen.slice(-5).reverse(), ids.slice(0, 5), 'the single submissions, oldest last');
});

it('filters by state and by endpoint name, and shows another user none of them', async () => {
  const cancelled = (await hub.call('GET', '/v1/tasks?state=cancelled')).body as TaskPage;
  assert.deepEqual(cancelled.tasks.map((task) => task.task_id), [ids[1]]);
  const two = (await hub.call('GET', '/v1/tasks?endpoint=two')).body as TaskPage;
  assert.deepEqual(two.tasks.map((task) => task.task_id), [ids[4], ids[3]]);
  const bobs = (await hub.call('GET', '/v1/tasks', undefined, bob)).body as TaskPage;
  assert.deepEqual(bobs.tasks, []);
});

it('a bad state, limit or cursor is a 400 that says what to give', async () => {
  const state = await hub.call('GET', '/v1/tasks?state=exploded');
  assert.equal(state.statusCode, 400);
  assert.match(state.body.message, /state must be one of received, .*cancelled/);
  const limit = await hub.call('GET', '/v1/tasks?limit=5000');
  assert.equal(limit.statusCode, 400);
  assert.match(limit.body.message, /limit must be a whole number from 1 to 500/);
  const cursor = await hub.call('GET', '/v1/tasks?cursor=bm9wZQ');
  assert.equal(cursor.statusCode, 400);
  assert.match(cursor.body.message, /cursor is not one this hub gave/);
});

it('finds the tasks submitted under one task group, as an Executor reattaching after a restart does', async () => {
  const group = 'executor-1b7c';
  const grouped = [
    (await hub.call('POST', '/v1/tasks', { source: 'a', endpoint: 'one', task_group: group })).body.task_id,
    (await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'b', endpoint: 'two', task_group: group }] })).body.task_ids[0],
  ];
  const found = (await hub.call('GET', `/v1/tasks?task_group=${group}`)).body as TaskPage;
  assert.deepEqual(found.tasks.map((task) => task.task_id).sort(), [...grouped].sort());
  assert.equal(found.tasks[0].task_group, group);
  assert.equal((await hub.call('POST', '/v1/tasks', { source: 'c', endpoint: 'one', task_group: 'bad group!' })).statusCode, 400);
});
