import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TaskEvent, TaskRecord } from '@funcx/protocol';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { collect, connectClient, connectEndpoint, registerEndpoint, startTestHub, waitFor, type TestHub } from './support/hub.js';

// On Redis, what an endpoint connected to this hub reports of a task is told to clients in the order it
// happened, and nothing after the task's end. Here the hub's view of Redis's answer to one write is held back
// (the write itself goes to Redis as ever).

let redis: RedisProcess;
let hub: TestHub;
let db = 0;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await cleanup();
});

/** A hub on its own Redis database, an endpoint connected to it, a client, and one task sent and on file. */
async function taskSent(t: { after: (fn: () => unknown) => void }) {
  hub = await startTestHub({ store: `${redis.url}/${++db}`, logLevel: 'fatal', localUser: 'alice' });
  t.after(() => hub.cleanup());
  const { endpoint_token } = await registerEndpoint(hub, 'laptop');
  const daemon = await connectEndpoint(hub.url, endpoint_token);
  t.after(() => daemon.disconnect());
  const received = collect(daemon);
  const client = await connectClient(hub.url, hub.token);
  t.after(() => client.disconnect());
  const events: TaskEvent[] = [];
  client.on('task:events', (batch) => events.push(...batch));
  const reply = await client.timeout(5_000).emitWithAck('tasks:submit', { tasks: [{ source: '6 * 7', endpoint: 'laptop' }] });
  assert.ok(!('error' in reply), JSON.stringify(reply));
  const [taskId] = reply.task_ids;
  await waitFor(() => received.tasks.length === 1 && events.length === 1, 5_000, 'the dispatch and the submitted event');
  return { taskId, daemon, events };
}

/** Holds back the hub's view of Redis's answer to its first task write that `matches` (at the time it leaves). */
function holdAnswer(matches: (tasks: TaskRecord[]) => boolean) {
  const store = hub.running.hub.store;
  const putTasks = store.putTasks;
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  let held = false;
  store.putTasks = (tasks, madeIds) => {
    const written = putTasks.call(store, tasks, madeIds);
    if (held || !matches(tasks)) return written;
    held = true;
    return answered.then(() => written);
  };
  return {
    isHeld: () => held,
    release: () => {
      store.putTasks = putTasks;
      answer();
    },
  };
}

const success = (taskId: string) => [{ task_id: taskId, state: 'success' as const, timestamps: {}, result: { value: 42, data: { 'text/plain': '42' } } }];
const kinds = (events: TaskEvent[]) => events.map((event) => (event.type === 'state' ? event.state : event.type));

it("a task's output is told before its result, which waits for the output's write", { timeout: 30_000 }, async (t) => {
  const { taskId, daemon, events } = await taskSent(t);
  const hold = holdAnswer((tasks) => tasks.some((task) => task.outputs.length > 0 && task.state !== 'success'));
  t.after(() => hold.release());
  daemon.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'step 1\n' } }]);
  const acked = daemon.timeout(10_000).emitWithAck('tasks:done', success(taskId));
  await waitFor(() => hold.isHeld(), 5_000, 'the output written');
  await sleep(300);
  assert.deepEqual(kinds(events), ['waiting-for-endpoint'], 'neither the output nor the result is told before the output is on file');
  hold.release();
  await waitFor(() => events.some((event) => event.type === 'final'), 5_000, 'the final event');
  assert.deepEqual(kinds(events), ['waiting-for-endpoint', 'output', 'final']);
  assert.deepEqual(await acked, { recorded: [taskId] });
  const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
  assert.deepEqual(record.outputs.map((output: { text: string }) => output.text), ['step 1\n']);
});

it('a task being cancelled is not told running, neither while its cancel is written nor after', { timeout: 30_000 }, async (t) => {
  const { taskId, daemon, events } = await taskSent(t);
  const hold = holdAnswer((tasks) => tasks.some((task) => task.state === 'cancelled'));
  t.after(() => hold.release());
  const cancelled = hub.call('POST', `/v1/tasks/${taskId}/cancel`);
  await waitFor(() => hold.isHeld(), 5_000, 'the cancel written');
  daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
  await sleep(300);
  assert.deepEqual(kinds(events), ['waiting-for-endpoint'], 'no running state while the cancel is being written');
  hold.release();
  assert.equal((await cancelled).statusCode, 200);
  await waitFor(() => events.some((event) => event.type === 'final'), 5_000, 'the cancelled event');
  // The endpoint had started it before hearing of the cancel: what it reports now changes nothing.
  daemon.emit('tasks:state', [{ task_id: taskId, state: 'running', timestamps: {} }]);
  daemon.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'late\n' } }]);
  await sleep(300);
  assert.deepEqual(kinds(events), ['waiting-for-endpoint', 'final']);
  const record = (await hub.call('GET', `/v1/tasks/${taskId}`)).body;
  assert.equal(record.state, 'cancelled');
  assert.deepEqual(record.outputs, []);
});
