import { connect, type Socket } from 'node:net';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeFrame, type TaskCompletion } from '@funcx/protocol';
import { parseDaemonAddress } from '../src/daemon-link.js';
import { Interchange } from '../src/interchange.js';
import { ManagerListener } from '../src/manager-listener.js';

const register = (secret: string) =>
  encodeFrame({ t: 'register', secret, block_id: '', node: 'n1', pid: 1, workers: 0, resources: { cpus: 1, memory_mb: 1, accelerators: [] }, block_nodes: ['n1'], version: 't' });

async function setUp() {
  const done: TaskCompletion[] = [];
  const logs: string[] = [];
  const interchange = new Interchange({
    reporter: { stateChanged: () => {}, output: () => {}, done: (completion) => done.push(completion) },
    log: (_level, line) => logs.push(line),
    maxRetries: 1,
  });
  const listener = new ManagerListener({ host: '127.0.0.1', port: 0, secret: 'right', interchange, settings: {}, log: (_level, line) => logs.push(line) });
  const address = parseDaemonAddress(await listener.listen());
  const open = () =>
    new Promise<{ socket: Socket; received: string[]; closed: Promise<void> }>((resolve) => {
      const socket = connect(address, () => resolve({ socket, received, closed }));
      const received: string[] = [];
      socket.setEncoding('utf8').on('data', (text: string) => received.push(text));
      const closed = new Promise<void>((closedNow) => socket.on('close', () => closedNow()));
    });
  return { interchange, listener, open, done, logs };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test('a wrong secret is refused and a bad frame drops that manager only; its tasks go back to the queue, then fail past max retries', async () => {
  const { interchange, listener, open, done, logs } = await setUp();
  try {
    const stranger = await open();
    stranger.socket.write(register('wrong'));
    await stranger.closed;
    assert.ok(logs.some((line) => /wrong manager secret/.test(line)));
    assert.equal(interchange.links.size, 0);

    const task = { task_id: 't1', function_id: 'f', owner: 'alice', args: [], kwargs: {} };
    interchange.submit([task], [{ function_id: 'f', source: '1' }]);
    for (let round = 1; round <= 2; round++) {
      const manager = await open();
      manager.socket.write(register('right'));
      manager.socket.write(encodeFrame({ t: 'load', capacity: 2, load: { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] } }));
      await settle();
      assert.match(manager.received.join(''), /"t":"welcome"/);
      assert.match(manager.received.join(''), /"t":"tasks".*"task_id":"t1"/, `round ${round}: the task is sent`);
      manager.socket.write('{"t":"done","capacity":"lots"}\n');
      await manager.closed;
      await settle();
    }
    assert.equal(done.length, 1);
    assert.equal(done[0].error?.ename, 'ManagerLost');
    assert.match(done[0].error!.evalue, /sent a bad frame: .*"capacity" is not a count.*lost under it 2 time\(s\), and max_retries_on_system_failure is 1/);
    assert.equal(interchange.links.size, 0);
    const after = await open();
    after.socket.write(register('right'));
    await settle();
    assert.equal(interchange.links.size, 1, 'the daemon takes managers as before');
    after.socket.destroy();
  } finally {
    interchange.stop();
    await listener.close();
  }
});
