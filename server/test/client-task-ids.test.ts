import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { TaskPage } from '@funcx/protocol';
import { addUser } from '../src/users.js';
import { collect, connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

let hub: TestHub;
let bob: string;
let endpointToken: string;

before(async () => {
  hub = await startTestHub();
  bob = addUser(hub.dataDir, 'bob');
  endpointToken = (await registerEndpoint(hub, 'one')).endpoint_token;
});
after(async () => {
  await hub.cleanup();
});

const listed = async (token?: string) => ((await hub.call('GET', '/v1/tasks?limit=500', undefined, token)).body as TaskPage).tasks.map((task) => task.task_id);

it('a submission sent again with the ids it chose gets the tasks it made the first time, and no second copy', async () => {
  const id = randomUUID();
  const first = await hub.call('POST', '/v1/tasks', { source: '1 + 1', endpoint: 'one', task_id: id });
  assert.equal(first.statusCode, 202, JSON.stringify(first.body));
  assert.equal(first.body.task_id, id);
  const again = await hub.call('POST', '/v1/tasks', { source: '1 + 1', endpoint: 'one', task_id: id.toUpperCase() });
  assert.equal(again.statusCode, 202);
  assert.equal(again.body.task_id, id, 'the same task, whatever the case of its id');
  assert.equal((await listed()).filter((listedId) => listedId === id).length, 1);
});

it('a batch sent again after only part of it was taken in keeps its batch and adds only what is missing', async () => {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const before = new Set(await listed());
  const part = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'pass', endpoint: 'one', task_id: ids[0] }] });
  assert.equal(part.statusCode, 202);
  const whole = await hub.call('POST', '/v1/tasks/batch', { tasks: ids.map((task_id) => ({ source: 'pass', endpoint: 'one', task_id })) });
  assert.equal(whole.statusCode, 202, JSON.stringify(whole.body));
  assert.deepEqual(whole.body.task_ids, ids);
  assert.equal(whole.body.batch_id, part.body.batch_id, 'the new tasks join the batch of the first');
  const added = (await listed()).filter((id) => !before.has(id));
  assert.deepEqual([...added].sort(), [...ids].sort(), 'three tasks in all, each once');
  const sent = await hub.call('POST', '/v1/tasks/batch', { tasks: ids.map((task_id) => ({ source: 'pass', endpoint: 'one', task_id })) });
  assert.deepEqual(sent.body, whole.body, 'sent a third time: the same answer');
});

it("another user's task id is refused without saying whose it is, and nothing is made", async () => {
  const id = randomUUID();
  await hub.call('POST', '/v1/tasks', { source: 'secret = 1', endpoint: 'one', task_id: id });
  await hub.call('POST', '/v1/endpoints', { name: 'bobs' }, bob);
  const taken = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'bobs', task_id: id }, bob);
  assert.equal(taken.statusCode, 409);
  assert.equal(taken.body.code, 'FUNCX_TASK_ID_TAKEN');
  assert.match(taken.body.message, /a task with id .* exists already: give this task a fresh UUID/);
  assert.doesNotMatch(taken.body.message, /alice/);
  assert.deepEqual(await listed(bob), []);
  assert.equal((await hub.call('GET', `/v1/tasks/${id}`)).body.owner, 'alice');
});

it('an id given twice in one batch, or one that is not a UUID, is a 400 that says which', async () => {
  const id = randomUUID();
  const twice = await hub.call('POST', '/v1/tasks/batch', { tasks: [{ source: 'pass', endpoint: 'one', task_id: id }, { source: 'pass', endpoint: 'one', task_id: id }] });
  assert.equal(twice.statusCode, 400);
  assert.match(twice.body.message, /^tasks\[1\]: task_id .* is also tasks\[0\]'s: give each task its own$/);
  const notUuid = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'one', task_id: 'mine-1' });
  assert.equal(notUuid.statusCode, 400);
  assert.match(notUuid.body.message, /task_id/);
  assert.equal((await hub.call('GET', `/v1/tasks/${id}`)).statusCode, 404);
});

it('over the client socket too, and the endpoint is handed the task once', async () => {
  const endpoint = await connectEndpoint(hub.url, endpointToken);
  const received = collect(endpoint);
  const client = await connectClient(hub.url, hub.token);
  try {
    const id = randomUUID();
    const submit = () => client.timeout(5_000).emitWithAck('tasks:submit', { tasks: [{ source: '2 * 21', endpoint: 'one', task_id: id }] });
    const first = await submit();
    const again = await submit();
    assert.deepEqual(again, first);
    assert.deepEqual((first as { task_ids: string[] }).task_ids, [id]);
    await waitFor(() => received.tasks.some((task) => task.task_id === id), 5_000, 'the dispatch');
    // Each acknowledgement comes after its dispatch was sent: a second dispatch would be on its way by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(received.tasks.filter((task) => task.task_id === id).length, 1);
    assert.equal((await hub.call('GET', `/v1/tasks/${id}`)).body.attempts, 1);
  } finally {
    client.close();
    endpoint.close();
  }
});

it('the same holds after the hub restarts from its data dir', async () => {
  const id = randomUUID();
  await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'one', task_id: id });
  await hub.stop();
  hub = await startTestHub({ dir: hub.dir });
  const again = await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'one', task_id: id });
  assert.equal(again.statusCode, 202);
  assert.equal(again.body.task_id, id);
  assert.equal((await listed()).filter((listedId) => listedId === id).length, 1);
});
