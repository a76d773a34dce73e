import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, wasmBuildDir } from '@funcx/testing';
import { funcx, join, startWorld, stopWorld, type World } from './support/world.js';

describe('funcx register with a WebAssembly module, against a real hub and endpoint', { timeout: 120_000 }, () => {
  let world: World;
  before(async () => {
    world = await startWorld({ workers: 1 });
  });
  after(() => stopWorld(world));

  test('registers add.wasm by its exported function and runs it on the endpoint', async () => {
    const registered = await funcx(world, ['register', join(wasmBuildDir(), 'add.wasm'), '--entrypoint', 'add']);
    assert.equal(registered.code, 0, registered.stderr);
    const run = await funcx(world, ['run', '--function', registered.stdout.trim(), '--endpoint', 'local', '--args', '[2, 40]']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '42\n');
  });

  test("a file that is not a module is refused with the hub's reason", async () => {
    const path = join(makeTempDir('funcx-wasm-cli-'), 'broken.wasm');
    writeFileSync(path, '(module)');
    const refused = await funcx(world, ['register', path]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /is not a WebAssembly module an endpoint can run: it does not validate/);
  });
});
