import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, podmanProblem, removeTempDirs, testImages, waitFor } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { bwrapProblem } from '../src/runtimes/index.js';
import type { ContainerPoolOptions } from '../src/worker-pool.js';
import { run, runToEnd, startManager, type RunOptions } from './support/manager.js';
import type { Recorder } from './support/recorder.js';
import { bwrapContainers, podmanContainers, removePodman, testPodman } from './support/runtimes.js';

/**
 * Appends to a file in the worker's HOME (its scratch directory, which lives as long as the worker) and
 * returns how long it is: 1 in a fresh worker, 2 in one that ran this before.
 */
const TOUCH = 'import os\npath = os.path.join(os.environ["HOME"], "touched")\nopen(path, "a").write("x")\nlen(open(path).read())';
const images = testImages();
const skip = bwrapProblem() ?? (typeof images === 'string' ? images : undefined);

/** An image directory where lab/a, lab/b and lab/c are all the test image's root file system. */
function threeImages(): string {
  const dir = makeTempDir('funcx-images-');
  mkdirSync(join(dir, 'lab'));
  if (typeof images === 'string') throw new Error(images);
  for (const name of ['a', 'b', 'c']) symlinkSync(join(images.imageDir, images.python), join(dir, 'lab', name));
  return dir;
}

function warmImage(manager: Manager, image: string) {
  return manager.load().warm_images.find((warm) => warm.image === image);
}

describe('the warm pool (bubblewrap containers)', { skip }, () => {
  let dir: string;
  const managers: Manager[] = [];
  /** A manager with no default image: its warm workers start bare; containers start on demand. */
  const start = async (size: number, containers: Partial<ContainerPoolOptions>) => {
    const started = await startManager({ size, containers: bwrapContainers({ defaultImage: undefined, ...containers }, dir) });
    managers.push(started.manager);
    return started;
  };
  const touch = (manager: Manager, recorder: Recorder, image: string, options: RunOptions = {}) =>
    runToEnd(manager, recorder, TOUCH, { container_image: image, ...options });

  before(() => {
    dir = threeImages();
  });
  after(async () => {
    await Promise.all(managers.map((manager) => manager.stop()));
    removeTempDirs();
  });

  test('a second task for an image runs in the container the first one started, and the load reports it warm', async () => {
    const { manager, recorder } = await start(3, { maxWarm: 2 });
    const first = await touch(manager, recorder, 'lab/a');
    const second = await touch(manager, recorder, 'lab/a');
    assert.equal(first.result?.value, 1, 'a fresh container');
    assert.equal(second.result?.value, 2, 'the same warm container');
    const cold = first.timestamps.running! - first.timestamps['waiting-for-launch']!;
    const warm = second.timestamps.running! - second.timestamps['waiting-for-launch']!;
    assert.ok(cold > warm, `the cold start (${cold.toFixed(1)} ms) shows in waiting-for-launch, the warm hit (${warm.toFixed(1)} ms) does not`);
    assert.deepEqual(warmImage(manager, 'lab/a'), { image: 'lab/a', workers: 1, idle: 1 });
    assert.deepEqual(warmImage(manager, ''), { image: '', workers: 2, idle: 2 }, 'the bare workers left');
  });

  test('soft mode at max_warm_containers replaces the least recently used idle container', async () => {
    const { manager, recorder } = await start(2, { maxWarm: 2, mode: 'soft' });
    await touch(manager, recorder, 'lab/a');
    await touch(manager, recorder, 'lab/b');
    await touch(manager, recorder, 'lab/b');
    const c = await touch(manager, recorder, 'lab/c');
    assert.equal(c.state, 'success');
    assert.equal(warmImage(manager, 'lab/a'), undefined, 'lab/a, used least recently, made room');
    assert.equal(warmImage(manager, 'lab/b')?.workers, 1);
    assert.equal((await touch(manager, recorder, 'lab/b')).result?.value, 3, "lab/b's container stayed warm");
  });

  test('hard mode: a task for another image waits until an idle container of the first has timed out', async () => {
    const { manager, recorder } = await start(1, { mode: 'hard', idleMs: 600 });
    await touch(manager, recorder, 'lab/a');
    const submitted = performance.now();
    const id = run(manager, TOUCH, { container_image: 'lab/b' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!recorder.completions.has(id), 'still waiting for lab/b');
    assert.ok(warmImage(manager, 'lab/a'), 'lab/a was not repurposed');
    const done = await recorder.wait(id);
    assert.equal(done.result?.value, 1);
    assert.ok(done.at - submitted >= 500, `it ran once lab/a had been idle 0.6 s (after ${(done.at - submitted).toFixed(0)} ms)`);
    assert.ok(done.timestamps['waiting-for-nodes']! <= done.timestamps['waiting-for-launch']!);
  });

  test('an idle container is stopped after container_idle_s and its slot stays free', async () => {
    const { manager, recorder } = await start(2, { idleMs: 300, maxWarm: 1 });
    await touch(manager, recorder, 'lab/a');
    assert.ok(warmImage(manager, 'lab/a'));
    await waitFor(() => warmImage(manager, 'lab/a') === undefined, { what: 'lab/a stopping', timeoutMs: 5_000 });
    await waitFor(() => manager.pool.workers.every((worker) => worker.image === ''), { what: 'lab/a gone', timeoutMs: 5_000 });
    assert.equal(warmImage(manager, '')?.workers, 1, 'no bare worker took its place');
    assert.equal((await touch(manager, recorder, 'lab/a')).result?.value, 1, 'the next one starts cold');
  });

  test("a container warm for alice's image is not used for bob's task: one user per worker", async () => {
    const { manager, recorder } = await start(2, { maxWarm: 2 });
    await touch(manager, recorder, 'lab/a', { owner: 'alice' });
    const bob = await touch(manager, recorder, 'lab/a', { owner: 'bob' });
    assert.equal(bob.result?.value, 1, "bob's task ran in a container of its own");
    assert.equal((await touch(manager, recorder, 'lab/a', { owner: 'alice' })).result?.value, 2);
  });

  test('tasks for two images at once each get their own image, none waits behind the other', async () => {
    const { manager, recorder } = await start(2, { maxWarm: 2, mode: 'hard' });
    const source = 'open("/etc/os-release").read().split("\\n")[0]';
    const ids = ['lab/a', 'lab/b', 'lab/a', 'lab/b'].map((image) => run(manager, source, { container_image: image }));
    const done = await Promise.all(ids.map((id) => recorder.wait(id)));
    assert.deepEqual(done.map((completion) => completion.state), ['success', 'success', 'success', 'success']);
    assert.match(String(done[0].result?.value), /Debian GNU\/Linux 12/);
  });
});

describe('the warm pool (podman containers)', { skip: podmanProblem() }, () => {
  let manager: Manager;
  let recorder: Recorder;
  let podman: ReturnType<typeof testPodman>;

  before(async () => {
    podman = testPodman();
    ({ manager, recorder } = await startManager({ size: 2, containers: podmanContainers(podman, { defaultImage: undefined, maxWarm: 1 }) }));
  });
  after(async () => {
    await manager.stop();
    removePodman(podman);
    removeTempDirs();
  });

  test("a container's cold start is the task's waiting-for-launch; a warm hit costs no start", async () => {
    if (typeof images === 'string') throw new Error(images);
    const first = await runToEnd(manager, recorder, TOUCH, { container_image: images.python });
    const second = await runToEnd(manager, recorder, TOUCH, { container_image: images.python });
    assert.deepEqual([first.result?.value, second.result?.value], [1, 2]);
    const cold = first.timestamps.running! - first.timestamps['waiting-for-launch']!;
    const warm = second.timestamps.running! - second.timestamps['waiting-for-launch']!;
    assert.ok(cold >= 50, `podman's start (${cold.toFixed(0)} ms) is in the first task's waiting-for-launch`);
    assert.ok(warm < cold / 2, `the warm hit waited ${warm.toFixed(1)} ms`);
    assert.deepEqual(warmImage(manager, images.python), { image: images.python, workers: 1, idle: 1 });
  });

  test('inside, the image is what runs: its own Debian, python3 from the image, the worker program read-only', async () => {
    const source = [
      'import os, sys',
      'def writable(path):',
      '    try:',
      '        open(os.path.join(path, "probe"), "w").close()',
      '        return True',
      '    except OSError:',
      '        return False',
      '[open("/etc/os-release").read().split("\\n")[0], sys.executable, writable("/funcx/worker"), writable("/"), writable(os.environ["HOME"])]',
    ].join('\n');
    if (typeof images === 'string') throw new Error(images);
    const done = await runToEnd(manager, recorder, source, { container_image: images.python });
    assert.deepEqual(done.result?.value, ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', '/usr/bin/python3', false, false, true]);
  });
});
