import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FuncxError, MAX_RECEIPT_IDS, RECEIPT_DELAY_MS, type DispatchBatch, type DoneReceipt, type EndpointWelcome } from '@funcx/protocol';
import { DoneReceipts } from '../src/sockets/done-receipts.js';
import { connectEndpoint, eventually, registerEndpoint, startTestHub, waitFor, type EndpointClient, type TestHub } from './support/hub.js';

describe('the receipts a hub owes a daemon, on a clock the test moves', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  function setUp() {
    const sent: DoneReceipt[] = [];
    return { sent, receipts: new DoneReceipts((receipt) => sent.push(receipt)) };
  }

  it('sends recorded ids alone once RECEIPT_DELAY_MS has passed without a dispatch to carry them', () => {
    const { sent, receipts } = setUp();
    receipts.add(['a']);
    receipts.add(['b', 'c']);
    mock.timers.tick(RECEIPT_DELAY_MS - 1);
    assert.equal(sent.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(sent, [{ recorded: ['a', 'b', 'c'] }]);
    mock.timers.tick(RECEIPT_DELAY_MS * 10);
    assert.equal(sent.length, 1, 'each id once');
  });

  it('hands what it owes to a dispatch, and then sends nothing alone for it', () => {
    const { sent, receipts } = setUp();
    receipts.add(['a']);
    assert.deepEqual(receipts.take(), ['a']);
    assert.equal(receipts.take(), undefined, 'nothing is owed twice');
    mock.timers.tick(RECEIPT_DELAY_MS * 10);
    assert.deepEqual(sent, []);
  });

  it(`sends at once when ${MAX_RECEIPT_IDS} ids are owed`, () => {
    const { sent, receipts } = setUp();
    receipts.add(Array.from({ length: MAX_RECEIPT_IDS - 1 }, (_, i) => `t${i}`));
    assert.equal(sent.length, 0);
    receipts.add(['last', 'and-one']);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].recorded?.length, MAX_RECEIPT_IDS + 1);
  });

  it('tells ids it could not record at once, with why', () => {
    const { sent, receipts } = setUp();
    const error = new FuncxError('FUNCX_INTERNAL', 'the store is down').toBody();
    receipts.refuse(['a'], error);
    assert.deepEqual(sent, [{ unrecorded: ['a'], error }]);
  });

  it('sends nothing once its connection is gone', () => {
    const { sent, receipts } = setUp();
    receipts.add(['a']);
    receipts.stop();
    receipts.add(['b']);
    receipts.refuse(['c'], new FuncxError('FUNCX_INTERNAL', 'x').toBody());
    mock.timers.tick(RECEIPT_DELAY_MS * 10);
    assert.deepEqual(sent, []);
  });
});

describe('a daemon that sends its results without an ack, on a real hub', () => {
  let hub: TestHub;
  afterEach(() => hub?.cleanup());

  /** An endpoint socket that said hello, with the hub's welcome and everything it was sent. */
  async function daemon(options: { receiptDelayMs?: number } = {}) {
    hub = await startTestHub({ logLevel: 'fatal', ...options });
    const { endpoint_token } = await registerEndpoint(hub, 'site');
    const dispatches: DispatchBatch[] = [];
    const receipts: DoneReceipt[] = [];
    const socket: EndpointClient = await connectEndpoint(hub.url, endpoint_token, [], (s) => {
      s.on('tasks:dispatch', (batch) => dispatches.push(batch));
      s.on('tasks:receipt', (receipt) => receipts.push(receipt));
    });
    // A second hello on the same socket is answered like the first; its answer is the welcome.
    const load = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
    const welcome = (await socket.timeout(5000).emitWithAck('hello', { held_task_ids: [], load, version: 'test' })) as EndpointWelcome;
    const submit = async () => {
      const taskId = (await hub.call('POST', '/v1/tasks', { source: 'pass', endpoint: 'site' })).body.task_id as string;
      await waitFor(() => dispatches.some((batch) => batch.tasks.some((task) => task.task_id === taskId)), 5000, `task ${taskId} dispatched`);
      return taskId;
    };
    const finish = (taskId: string) => socket.emit('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { data: { 'text/plain': 'None' } } }]);
    const state = async (taskId: string) => (await hub.call('GET', `/v1/tasks/${taskId}`)).body.state as string;
    return { socket, welcome, dispatches, receipts, submit, finish, state, close: () => socket.disconnect() };
  }

  it('says so in its welcome, records the result and sends its receipt alone when no dispatch follows', async () => {
    const d = await daemon();
    try {
      assert.equal(d.welcome?.receipts, true);
      const taskId = await d.submit();
      d.finish(taskId);
      await waitFor(() => d.receipts.length > 0, 5000, 'a receipt');
      assert.deepEqual(d.receipts, [{ recorded: [taskId] }]);
      assert.equal(await d.state(taskId), 'success', 'a receipt comes only for what is written');
    } finally {
      d.close();
    }
  });

  it('puts the receipt on the next dispatch to the endpoint', async () => {
    const d = await daemon({ receiptDelayMs: 60_000 });
    try {
      const first = await d.submit();
      d.finish(first);
      await eventually(async () => ((await d.state(first)) === 'success' ? true : undefined), 'the first result written');
      const second = await d.submit();
      const carrier = d.dispatches.find((batch) => batch.tasks.some((task) => task.task_id === second));
      assert.deepEqual(carrier?.recorded, [first]);
      assert.deepEqual(d.dispatches[0].recorded, undefined, 'the first dispatch owed nothing');
      assert.deepEqual(d.receipts, [], 'and nothing went alone');
    } finally {
      d.close();
    }
  });

  it('answers a tasks:done that is not a list with a receipt that says what is wrong', async () => {
    const d = await daemon();
    try {
      (d.socket.emit as (event: string, ...args: unknown[]) => unknown)('tasks:done', 'not a list');
      await waitFor(() => d.receipts.length > 0, 5000, 'a receipt');
      assert.deepEqual(d.receipts[0].unrecorded, []);
      assert.equal(d.receipts[0].error?.code, 'FUNCX_BAD_REQUEST');
      assert.match(d.receipts[0].error!.message, /tasks:done takes an array/);
    } finally {
      d.close();
    }
  });

  it('still answers a tasks:done sent with an ack by its ack, and owes no receipt for it', async () => {
    const d = await daemon();
    try {
      const taskId = await d.submit();
      const ack = await d.socket.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {} }]);
      assert.deepEqual(ack, { recorded: [taskId] });
      const next = await d.submit();
      d.finish(next);
      await waitFor(() => d.receipts.length > 0, 5000, 'a receipt');
      assert.deepEqual(d.receipts, [{ recorded: [next] }], 'only the result sent without an ack is receipted');
    } finally {
      d.close();
    }
  });
});
