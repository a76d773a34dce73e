import { connect, type Socket } from 'node:net';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, type DaemonTasksFrame, type DispatchedTask, type TaskCompletion } from '@funcx/protocol';
import { parseDaemonAddress } from '../src/daemon-link.js';
import { Interchange } from '../src/interchange.js';
import { ManagerListener } from '../src/manager-listener.js';
import { nowMs, type HeldTask } from '../src/reporter.js';

const load = (workers: number) => ({ workers_total: workers, workers_busy: 0, queued: 0, running: 0, warm_images: [] });
const task = (id: string): DispatchedTask => ({ task_id: id, function_id: 'f', owner: 'alice', args: [], kwargs: {} });
const ids = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => task(`${prefix}${i}`));
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

interface FakeManager {
  socket: Socket;
  /** Every tasks frame it was sent, in order. */
  frames: DaemonTasksFrame[];
  held(): string[];
  finish(taskIds: string[], capacity: number): void;
}

async function setUp() {
  const done: TaskCompletion[] = [];
  const waiting: HeldTask[] = [];
  const interchange = new Interchange({
    reporter: { stateChanged: (held) => waiting.push(held), output: () => {}, done: (completion) => done.push(completion) },
    log: () => {},
    maxRetries: 1,
  });
  const listener = new ManagerListener({ host: '127.0.0.1', port: 0, secret: 's', interchange, settings: {}, log: () => {} });
  const address = parseDaemonAddress(await listener.listen());
  const sockets: Socket[] = [];
  /** A manager over a real socket, registered and ready with `capacity`. */
  const manager = (capacity: number) =>
    new Promise<FakeManager>((resolve) => {
      const frames: DaemonTasksFrame[] = [];
      let partial = '';
      const socket = connect(address, () => {
        socket.write(
          encodeFrame({ t: 'register', secret: 's', block_id: '', node: 'n', pid: 1, workers: capacity, resources: { cpus: 1, memory_mb: 1, accelerators: [] }, block_nodes: ['n'], version: 't' }) +
            encodeFrame({ t: 'load', load: load(capacity), capacity }),
        );
        resolve({
          socket,
          frames,
          held: () => frames.flatMap((frame) => frame.tasks.map((t) => t.task_id)),
          finish: (taskIds, capacity) => {
            const now = Date.now();
            const completions = taskIds.map((task_id) => ({ task_id, state: 'success' as const, timestamps: { running: now, success: now }, result: { data: { 'text/plain': 'None' } } }));
            socket.write(encodeFrame({ t: 'done', completions, capacity }));
          },
        });
      });
      sockets.push(socket);
      socket.setEncoding('utf8').on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        for (const line of lines) if (line.startsWith('{"t":"tasks"')) frames.push(JSON.parse(line) as DaemonTasksFrame);
      });
    });
  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    interchange.stop();
    await listener.close();
  };
  return { interchange, manager, done, waiting, stop };
}

test('tasks that arrive together reach each manager in one frame, spread by room, with the function code once', async () => {
  const { interchange, manager, stop } = await setUp();
  try {
    const small = await manager(2);
    const large = await manager(20);
    const other = await manager(20);
    await settle();
    interchange.submit(ids('a', 10), [{ function_id: 'f', source: '1' }]);
    interchange.submit(ids('b', 10));
    interchange.submit(ids('c', 10));
    await settle();
    assert.deepEqual([small, large, other].map((m) => m.frames.length), [1, 1, 1], 'one frame each');
    assert.deepEqual([small, large, other].map((m) => m.held().length), [2, 14, 14], 'the small one is filled, the rest shared evenly');
    assert.deepEqual([small, large, other].map((m) => m.frames[0].functions.length), [1, 1, 1]);
    assert.equal(new Set([...small.held(), ...large.held(), ...other.held()]).size, 30, 'no task goes twice');
    assert.deepEqual(small.held(), ['a0', 'a1'], 'first in, first out');
  } finally {
    await stop();
  }
});

test('a trickle of tasks goes round large managers in turn, an eighth of a manager at least to each it reaches', async () => {
  const { interchange, manager, stop } = await setUp();
  try {
    const managers = [await manager(128), await manager(128), await manager(128), await manager(128)];
    await settle();
    interchange.submit(ids('a', 20), [{ function_id: 'f', source: '1' }]);
    await settle();
    assert.deepEqual(managers.map((m) => m.held().length), [16, 4, 0, 0], 'not five to each');
    interchange.submit(ids('b', 20));
    await settle();
    assert.deepEqual(managers.map((m) => m.held().length), [16, 4, 16, 4], 'the two not served yet come first');
    interchange.submit(ids('c', 600));
    await settle();
    assert.deepEqual(managers.map((m) => m.held().length), [128, 128, 128, 128], 'a deep queue fills every one');
  } finally {
    await stop();
  }
});

test('a manager that frees room is refilled from the queue; a full or draining one is sent nothing', async () => {
  const { interchange, manager, done, stop } = await setUp();
  try {
    const first = await manager(2);
    await settle();
    interchange.submit(ids('t', 5), [{ function_id: 'f', source: '1' }]);
    await settle();
    assert.deepEqual(first.held(), ['t0', 't1']);
    first.finish(['t0'], 2);
    await settle();
    assert.deepEqual(first.held(), ['t0', 't1', 't2'], 'the freed slot takes the next task');
    assert.equal(first.frames[1].functions.length, 0, 'the code went with the first frame');
    interchange.drain([...interchange.links][0]);
    first.finish(['t1', 't2'], 2);
    await settle();
    assert.equal(first.frames.length, 2, 'a draining manager is sent nothing more');
    assert.equal(done.length, 3);
    const second = await manager(4);
    await settle();
    assert.deepEqual(second.held(), ['t3', 't4'], 'a new manager takes what waits');
    assert.equal(interchange.queued, 0);
  } finally {
    await stop();
  }
});

test('only tasks that no manager took at once are reported waiting for nodes, stamped with when they arrived', async () => {
  const { interchange, manager, waiting, stop } = await setUp();
  try {
    const only = await manager(1);
    await settle();
    const before = nowMs();
    interchange.submit(ids('w', 3));
    const after = nowMs();
    await settle();
    assert.deepEqual(only.held(), ['w0']);
    assert.deepEqual(waiting.map((held) => held.task.task_id), ['w1', 'w2']);
    for (const held of waiting) {
      assert.equal(held.state, 'waiting-for-nodes');
      const at = held.timestamps['waiting-for-nodes']!;
      assert.ok(at >= before && at <= after, `stamped during submit, not when reported (${at - after} ms after it returned)`);
    }
  } finally {
    await stop();
  }
});
