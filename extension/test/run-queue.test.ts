import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunQueue } from '../src/run-queue';

/** A job the test finishes by hand, recording when it started. */
function deferred(log: string[], name: string) {
  let finish!: (success: boolean) => void;
  const job = () => {
    log.push(`start ${name}`);
    return new Promise<boolean>((resolve) => (finish = resolve));
  };
  return { job, finish: (success: boolean) => finish(success) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('cells run one after another, as a kernel runs them', () => {
  it('each cell starts only once the cell before it has finished', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const a = deferred(log, 'a');
    const b = deferred(log, 'b');
    const ran = [queue.enqueue(a.job, () => log.push('dropped a')), queue.enqueue(b.job, () => log.push('dropped b'))];
    await settle();
    assert.deepEqual(log, ['start a']);
    a.finish(true);
    await settle();
    assert.deepEqual(log, ['start a', 'start b']);
    b.finish(true);
    assert.deepEqual(await Promise.all(ran), [true, true]);
  });

  it('the first failure drops every cell waiting behind it, and a cell run afterwards runs', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const a = deferred(log, 'a');
    const ran = [
      queue.enqueue(a.job, () => log.push('dropped a')),
      queue.enqueue(async () => (log.push('start b'), true), () => log.push('dropped b')),
      queue.enqueue(async () => (log.push('start c'), true), () => log.push('dropped c')),
    ];
    await settle();
    a.finish(false);
    assert.deepEqual(await Promise.all(ran), [false, false, false]);
    assert.deepEqual(log, ['start a', 'dropped b', 'dropped c']);
    assert.equal(await queue.enqueue(async () => (log.push('start d'), true), () => log.push('dropped d')), true);
    assert.equal(log.at(-1), 'start d');
    await settle();
    assert.equal(queue.length, 0);
  });

  it('a cell that throws (a kernel error) counts as a failure and its error reaches the caller', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const failing = queue.enqueue(async () => {
      throw new Error('KernelReplyNotOK');
    }, () => undefined);
    const after = queue.enqueue(async () => (log.push('ran'), true), () => log.push('dropped'));
    await assert.rejects(failing, /KernelReplyNotOK/);
    assert.equal(await after, false);
    assert.deepEqual(log, ['dropped']);
  });
});
