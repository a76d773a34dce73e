import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@funcx/testing';
import { funcx, spawnFuncx, startWorld, stopWorld, type World } from './support/world.js';

describe('funcx run --shell against a real hub and endpoint', { timeout: 120_000 }, () => {
  let world: World;
  before(async () => {
    world = await startWorld({ workers: 1 });
  });
  after(() => stopWorld(world));

  test('the command runs on the endpoint, its output streams through and its return code is the exit code', async () => {
    const run = await funcx(world, ['run', '--shell', 'echo out; echo err >&2; exit 3', '--endpoint', 'local']);
    assert.equal(run.code, 3);
    assert.equal(run.stdout, 'out\n');
    assert.equal(run.stderr, 'err\n');
  });

  test('--kwargs fill the template, each value shell-quoted so it cannot add a command', async () => {
    const run = await funcx(world, ['run', '--shell', "printf '%s|' {a} {b}", '--kwargs', '{"a": "two words", "b": "x; echo injected"}', '--endpoint', 'local']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'two words|x; echo injected|');
  });

  test('--walltime stops the command with return code 124 and says so', async () => {
    const started = Date.now();
    const run = await funcx(world, ['run', '--shell', 'echo begun; sleep 60', '--walltime', '1', '--endpoint', 'local']);
    assert.equal(run.code, 124);
    assert.equal(run.stdout, 'begun\n');
    assert.match(run.stderr, /ran past its walltime \(1 s\)/);
    assert.ok(Date.now() - started < 30_000);
  });

  test('output arrives while the command still runs', async () => {
    const child = spawnFuncx(world, ['run', '--shell', 'echo first; sleep 3; echo second', '--endpoint', 'local']);
    await child.waitForOutput(/first/, { stream: 'stdout', timeoutMs: 20_000 });
    assert.doesNotMatch(child.stdout, /second/);
    await waitFor(() => child.exitStatus !== undefined, { timeoutMs: 20_000, what: 'funcx run to exit' });
    assert.equal(child.exitStatus?.code, 0);
    assert.equal(child.stdout, 'first\nsecond\n');
  });

  test('a shell command with FILE.py or --args is refused before anything is sent', async () => {
    const run = await funcx(world, ['run', '--shell', 'ls', '--args', '[1]', '--endpoint', 'local']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--shell runs a command/);
    const walltime = await funcx(world, ['run', '--function', 'f', '--walltime', '3', '--endpoint', 'local']);
    assert.equal(walltime.code, 2);
    assert.match(walltime.stderr, /--walltime applies to --shell/);
  });
});
