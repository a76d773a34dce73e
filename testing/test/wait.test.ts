import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { withTimeout } from '../src/index.js';

const never = new Promise<never>(() => {});

describe('withTimeout, on mock timers', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('its error ends with what explain saw at the timeout', async () => {
    let asked = 0;
    const waiting = withTimeout(never, 20_000, 'the task', async () => `asked ${++asked} time: state running`);
    mock.timers.tick(19_999);
    assert.equal(asked, 0, 'explain is not asked before the timeout');
    mock.timers.tick(1);
    await assert.rejects(waiting, { message: 'the task did not finish within 20000 ms\nasked 1 time: state running' });
  });

  test('it says so when explaining fails, and still rejects with the timeout', async () => {
    const waiting = withTimeout(never, 100, 'the task', () => {
      throw new Error('the hub is gone');
    });
    mock.timers.tick(100);
    await assert.rejects(waiting, { message: 'the task did not finish within 100 ms (and explaining it failed: the hub is gone)' });
  });

  test('it rejects without the explanation when explain does not answer within 5 s', async () => {
    const waiting = withTimeout(never, 100, 'the task', () => never);
    mock.timers.tick(100);
    await Promise.resolve();
    mock.timers.tick(5_000);
    await assert.rejects(waiting, { message: 'the task did not finish within 100 ms (and explaining it failed: no answer within 5000 ms)' });
  });
});

test('withTimeout resolves with the value and never asks explain when the promise settles in time', async () => {
  let asked = false;
  assert.equal(await withTimeout(Promise.resolve(42), 1_000, 'the answer', () => ((asked = true), '')), 42);
  assert.equal(asked, false);
});
