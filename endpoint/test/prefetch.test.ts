import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextPrefetch, PREFETCH_WORK_MS, QUICK_TASK_MS } from '../src/prefetch.js';

test('quick tasks double what a worker may hold at once, up to the maximum', () => {
  let limit = 1;
  const seen: number[] = [];
  for (let i = 0; i < 10; i++) seen.push((limit = nextPrefetch(limit, 0.001, 256)));
  assert.deepEqual(seen, [2, 4, 8, 16, 32, 64, 128, 256, 256, 256]);
});

test('what a worker holds ahead is bounded by a few milliseconds of tasks as long as the last one', () => {
  assert.equal(nextPrefetch(256, 1, 256), PREFETCH_WORK_MS / 1);
  assert.equal(nextPrefetch(256, 0.5, 256), PREFETCH_WORK_MS / 0.5);
  assert.equal(nextPrefetch(256, QUICK_TASK_MS, 256), 2);
});

test('one slow task resets the worker to one task at a time, so nothing waits behind a long one', () => {
  assert.equal(nextPrefetch(128, QUICK_TASK_MS + 0.1, 256), 1);
  assert.equal(nextPrefetch(1, 5_000, 256), 1);
});

test('a task that took no measurable time still grows the allowance by doubling only', () => {
  assert.equal(nextPrefetch(3, 0, 256), 6);
});
