import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { podmanProblem, removeTempDirs, testImages, waitFor } from '@funcx/testing';
import { CONTAINER_ERROR, type Manager } from '../src/manager.js';
import { bwrapProblem, type PodmanConfig } from '../src/runtimes/index.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';
import { bwrapContainers, podmanContainers, removePodman, testPodman } from './support/runtimes.js';

const images = testImages();
const imagesProblem = typeof images === 'string' ? images : undefined;

interface Variant {
  name: string;
  skip?: string;
  start(): Promise<{ manager: Manager; recorder: Recorder }>;
  /** The runtime's own words for an image it does not have, and for one without python3. */
  unknownImage: RegExp;
  noPython: RegExp;
}

let podman: PodmanConfig | undefined;
const variants: Variant[] = [
  {
    name: 'podman',
    skip: podmanProblem(),
    start: () => startManager({ size: 2, containers: podmanContainers((podman = testPodman())) }),
    unknownImage: /^the container for image localhost\/no-such-image:1 could not start \(podman exit code 125\): Error: localhost\/no-such-image:1: image not known$/,
    noPython: /could not start \(podman exit code 127\): .*exec: "python3": executable file not found in \$PATH/s,
  },
  {
    name: 'bubblewrap',
    skip: bwrapProblem() ?? imagesProblem,
    start: () => startManager({ size: 2, containers: bwrapContainers() }),
    unknownImage: /^no root file system for image localhost\/no-such-image:1 in .* \(container_image_dir\)$/,
    noPython: /could not start \(bwrap exit code 1\): bwrap: execvp python3: No such file or directory/,
  },
];

for (const variant of variants) {
  describe(`a container that cannot run fails its task with the reason, and nothing else (${variant.name})`, { skip: variant.skip }, () => {
    let manager: Manager;
    let recorder: Recorder;

    before(async () => {
      ({ manager, recorder } = await variant.start());
    });
    after(async () => {
      await manager.stop();
      if (podman) removePodman(podman);
      podman = undefined;
      removeTempDirs();
    });

    const fine = async () => {
      const done = await runToEnd(manager, recorder, '"still serving"');
      assert.equal(done.result?.value, 'still serving', 'the default image serves on');
    };

    test('an unknown image fails its task with ContainerError and the runtime\'s message', async () => {
      const done = await runToEnd(manager, recorder, '1', { container_image: 'localhost/no-such-image:1' });
      assert.equal(done.state, 'failed');
      assert.equal(done.error?.ename, CONTAINER_ERROR);
      assert.match(done.error!.evalue, variant.unknownImage);
      await fine();
    });

    test('an image without python3 fails its task with ContainerError, never "worker died"', async () => {
      if (typeof images === 'string') throw new Error(images);
      const done = await runToEnd(manager, recorder, '1', { container_image: images.noPython });
      assert.equal(done.error?.ename, CONTAINER_ERROR);
      assert.match(done.error!.evalue, variant.noPython);
      assert.deepEqual(recorder.outputs.get(done.task_id) ?? [], [], "the runtime's words are the error, not the task's output");
      await fine();
    });

    test('every task waiting for an image that cannot start fails with it; other images run on', async () => {
      if (typeof images === 'string') throw new Error(images);
      const bad = [1, 2, 3].map(() => run(manager, '1', { container_image: images.noPython }));
      const good = [1, 2, 3].map((i) => run(manager, `${i} * 10`));
      const failed = await Promise.all(bad.map((id) => recorder.wait(id)));
      assert.deepEqual(failed.map((done) => done.error?.ename), [CONTAINER_ERROR, CONTAINER_ERROR, CONTAINER_ERROR]);
      const served = await Promise.all(good.map((id) => recorder.wait(id)));
      assert.deepEqual(served.map((done) => done.result?.value), [10, 20, 30]);
      const warm = () => manager.load().warm_images.find((image) => image.image === images.python)?.workers;
      await waitFor(() => warm() === 2, { what: 'both slots warm for the default image again', timeoutMs: 10_000 });
    });

    test('an image name that could pass for an option fails before any runtime sees it', async () => {
      const done = await runToEnd(manager, recorder, '1', { container_image: '--privileged' });
      assert.equal(done.error?.ename, CONTAINER_ERROR);
      assert.match(done.error!.evalue, /"--privileged" is not a valid container image/);
    });
  });
}

describe('a container killed from outside is a lost worker like any other (podman)', { skip: podmanProblem() }, () => {
  let manager: Manager;
  let recorder: Recorder;
  let config: PodmanConfig;

  before(async () => {
    config = testPodman();
    ({ manager, recorder } = await startManager({ size: 1, containers: podmanContainers(config) }));
  });
  after(async () => {
    await manager.stop();
    removePodman(config);
    removeTempDirs();
  });

  test('podman rm -f fails the running task with "worker died" and a fresh container takes the next', async () => {
    const id = run(manager, 'import time\nprint("started", flush=True)\ntime.sleep(60)');
    await waitFor(() => recorder.streamText(id).includes('started'), { what: 'the task running', timeoutMs: 20_000 });
    const name = manager.pool.workers.find((worker) => worker.assigned[0] === id)!.container!.name;
    execFileSync('podman', ['rm', '-f', name], { env: { ...process.env, ...config.env }, stdio: 'ignore' });
    const done = await recorder.wait(id);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'WorkerDied');
    assert.match(done.error!.evalue, /^worker died \(signal SIG(TERM|KILL)\)$/);
    assert.equal((await runToEnd(manager, recorder, '"next"')).result?.value, 'next');
  });
});
