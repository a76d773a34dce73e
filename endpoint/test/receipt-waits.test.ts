import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FuncxError } from '@funcx/protocol';
import { ReceiptWaits } from '../src/receipt-waits.js';

const TIMEOUT_MS = 30_000;

/** How a wait ended, as seen from outside: still waiting, resolved with ids, or rejected with a message. */
function watch(promise: Promise<string[]>) {
  const seen: { ids?: string[]; error?: string } = {};
  promise.then(
    (ids) => (seen.ids = ids),
    (error: Error) => (seen.error = error.message),
  );
  return seen;
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('results sent to a hub that answers by receipts, on a clock the test moves', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('a message is acknowledged once every one of its ids is recorded, across receipts, and not before', async () => {
    const waits = new ReceiptWaits(TIMEOUT_MS);
    const first = watch(waits.expect(['a', 'b']));
    const second = watch(waits.expect(['c']));
    waits.receive({ recorded: ['a', 'c'] });
    await settled();
    assert.deepEqual(second.ids, ['c']);
    assert.deepEqual(first, {}, 'b is not recorded yet');
    waits.receive({ recorded: ['b'] });
    await settled();
    assert.deepEqual(first.ids, ['a', 'b']);
    assert.equal(waits.size, 0);
  });

  it('a message the hub could not record fails at once with its reason; others wait on', async () => {
    const waits = new ReceiptWaits(TIMEOUT_MS);
    const refused = watch(waits.expect(['a', 'b']));
    const other = watch(waits.expect(['c']));
    waits.receive({ unrecorded: ['b'], error: new FuncxError('FUNCX_INTERNAL', 'the store is down').toBody() });
    await settled();
    assert.equal(refused.error, 'the hub could not record these results: the store is down');
    assert.deepEqual(other, {});
    assert.equal(waits.size, 1, 'only c still waits');
    waits.receive({ recorded: ['a'] });
    await settled();
    assert.equal(refused.ids, undefined, 'a later receipt does not undo the failure: the message is sent again');
  });

  it('fails a message no receipt came for within the timeout, and only then', async () => {
    const waits = new ReceiptWaits(TIMEOUT_MS);
    const lost = watch(waits.expect(['a']));
    mock.timers.tick(TIMEOUT_MS - 1);
    await settled();
    assert.deepEqual(lost, {});
    mock.timers.tick(1);
    await settled();
    assert.equal(lost.error, `the hub sent no receipt within ${TIMEOUT_MS} ms`);
    assert.equal(waits.size, 0);
  });

  it('fails everything waiting when the connection closes', async () => {
    const waits = new ReceiptWaits(TIMEOUT_MS);
    const one = watch(waits.expect(['a', 'b']));
    const two = watch(waits.expect(['c']));
    waits.failAll('the connection to the hub closed');
    await settled();
    assert.equal(one.error, 'the connection to the hub closed');
    assert.equal(two.error, 'the connection to the hub closed');
    assert.equal(waits.size, 0);
    mock.timers.tick(TIMEOUT_MS);
  });

  it('ignores what is not a list of ids, ids it never sent, and answers an empty message at once', async () => {
    const waits = new ReceiptWaits(TIMEOUT_MS);
    const pending = watch(waits.expect(['a']));
    waits.receive({ recorded: 'a' as unknown as string[] });
    waits.receive({ recorded: [7 as unknown as string, 'zzz'] });
    waits.receive({ unrecorded: { a: 1 } as unknown as string[] });
    waits.receive({});
    await settled();
    assert.deepEqual(pending, {});
    assert.deepEqual(await waits.expect([]), []);
    waits.receive({ recorded: ['a'] });
    await settled();
    assert.deepEqual(pending.ids, ['a']);
  });
});
