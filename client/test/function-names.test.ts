import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { FunctionSummary } from '@funcx/protocol';
import { makeTempDir } from '@funcx/testing';
import { chooseFunction } from '../src/commands/function-ref.js';
import { funcx, join, startWorld, stopWorld, type World } from './support/world.js';

const summary = (function_id: string, name: string, owner: string, created_at: number): FunctionSummary => ({
  function_id,
  name,
  owner,
  created_at,
  language: 'python',
  public: false,
});

describe('a function named where an id is accepted', () => {
  const functions = [
    summary('00000000-0000-4000-8000-000000000001', 'mean', 'ada', 1),
    summary('00000000-0000-4000-8000-000000000002', 'mean', 'ada', 2),
    summary('00000000-0000-4000-8000-000000000003', 'mean', 'bob', 3),
    summary('00000000-0000-4000-8000-000000000004', 'median', 'bob', 4),
  ];

  test('a name of yours registered twice picks the newest, and says which and how to pick another', () => {
    const choice = chooseFunction('mean', functions, 'ada');
    assert.equal(choice.function_id, '00000000-0000-4000-8000-000000000002');
    assert.match(choice.note ?? '', /3 functions are named mean; using 00000000-0000-4000-8000-000000000002 \(yours, the newest/);
  });

  test('OWNER/NAME picks among that owner’s; a name only shared with you is found too, without a note', () => {
    assert.equal(chooseFunction('bob/mean', functions, 'ada').function_id, '00000000-0000-4000-8000-000000000003');
    assert.deepEqual(chooseFunction('median', functions, 'ada'), { function_id: '00000000-0000-4000-8000-000000000004' });
  });

  test('an id passes through; an unknown name says where to look', () => {
    assert.equal(chooseFunction('00000000-0000-4000-8000-0000000000ff', functions, 'ada').function_id, '00000000-0000-4000-8000-0000000000ff');
    assert.throws(() => chooseFunction('mode', functions, 'ada'), /no function named mode that you can run: see `funcx functions`/);
  });
});

describe('funcx run --function NAME against a real hub and endpoint', { timeout: 180_000 }, () => {
  let world: World;
  let dir: string;
  before(async () => {
    world = await startWorld({ workers: 1 });
    dir = makeTempDir('funcx-names-');
  });
  after(() => stopWorld(world));

  test('runs the function of that name, the newest when it was registered twice, saying which', async () => {
    const first = join(dir, 'mean_v1.py');
    writeFileSync(first, 'def mean(xs):\n    return sum(xs) / len(xs)\n');
    const second = join(dir, 'mean_v2.py');
    writeFileSync(second, 'def mean(xs):\n    return round(sum(xs) / len(xs))\n');
    assert.equal((await funcx(world, ['register', first, '--entrypoint', 'mean', '--name', 'mean'])).code, 0);
    const once = await funcx(world, ['run', '--function', 'mean', '--endpoint', 'local', '--args', '[[1, 2, 3, 4]]']);
    assert.equal(once.code, 0, once.stderr);
    assert.equal(once.stdout, '2.5\n');
    assert.doesNotMatch(once.stderr, /functions are named/);

    const registered = await funcx(world, ['register', second, '--entrypoint', 'mean', '--name', 'mean']);
    const newest = registered.stdout.trim();
    const twice = await funcx(world, ['run', '--function', 'mean', '--endpoint', 'local', '--args', '[[1, 2, 3, 4]]']);
    assert.equal(twice.code, 0, twice.stderr);
    assert.equal(twice.stdout, '2\n');
    assert.match(twice.stderr, new RegExp(`2 functions are named mean; using ${newest} \\(yours, the newest`));

    const unknown = await funcx(world, ['run', '--function', 'mode', '--endpoint', 'local']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no function named mode/);
  });
});
