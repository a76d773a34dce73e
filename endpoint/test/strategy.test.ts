import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveStrategy } from '../src/config-blocks.js';
import { planBlocks, type BlockView } from '../src/strategy.js';

const strategy = { ...resolveStrategy({ min_blocks: 0, max_blocks: 3, max_idletime: 10 }, 'slurm') };
const plan = (demand: number, blocks: BlockView[], now = 100_000) =>
  planBlocks({ strategy, now, demand, workersPerBlock: 4, blocks, drainPeriodMs: 5_000 });
const running = (id: string, held: number, extra: Partial<BlockView> = {}): BlockView => ({ id, state: 'running', workers: 4, held, ...extra });

test('work beyond what the blocks run asks for more blocks, up to max_blocks; pending ones count as coming', () => {
  assert.equal(plan(10, []).submit, 3);
  assert.equal(plan(10, [running('a', 4)]).submit, 2);
  assert.equal(plan(6, [running('a', 4), { id: 'b', state: 'pending', workers: 0, held: 0 }]).submit, 0);
  assert.equal(plan(100, [running('a', 4), running('b', 4), running('c', 4)]).submit, 0, 'max_blocks');
});

test('a block idle for max_idletime goes while nothing waits, down to min_blocks', () => {
  assert.deepEqual(plan(0, [running('a', 0, { idleSince: 95_000 })]).cancel, [], 'idle 5 s of 10');
  assert.deepEqual(plan(0, [running('a', 0, { idleSince: 80_000 }), running('b', 0, { idleSince: 85_000 })]).cancel, ['a', 'b']);
  assert.deepEqual(plan(1, [running('a', 0, { idleSince: 80_000 })]).cancel, [], 'not while a task waits');
  const kept = planBlocks({ strategy: { ...strategy, minBlocks: 1 }, now: 100_000, demand: 0, workersPerBlock: 4, blocks: [running('a', 0, { idleSince: 0 }), running('b', 0, { idleSince: 1 })], drainPeriodMs: 0 });
  assert.deepEqual(kept.cancel, ['a'], 'min_blocks stays');
});

test('a block near its walltime drains, and is cancelled once it holds nothing; the work it leaves asks for another', () => {
  const near = plan(8, [running('a', 3, { endsAt: 104_000 })]);
  assert.deepEqual(near.drain, ['a']);
  assert.deepEqual(near.cancel, []);
  assert.equal(near.submit, 2, 'a drained block is no capacity');
  assert.deepEqual(plan(0, [{ ...running('a', 0), state: 'draining' }]).cancel, ['a']);
});
