import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { podmanProblem, removeTempDirs, testImages, waitFor } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { CustomRuntime, type PodmanConfig } from '../src/runtimes/index.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';
import { removePodman, testPodman } from './support/runtimes.js';
import { processesWith, uniqueMarker } from './support/stray-processes.js';

/** podman run written out as an endpoint owner would in container_command. */
const TEMPLATE = [
  'podman', 'run', '--rm', '--name', '{name}', '--preserve-fds', '2', '--log-driver', 'passthrough',
  '--pidfile', '{pidfile}', '{options}', '{mounts}', '{env}', '--workdir', '{workdir}', '{image}', '{command}',
];

describe('a custom runtime from a command template, running podman', { skip: podmanProblem() }, () => {
  let manager: Manager;
  let recorder: Recorder;
  let podman: PodmanConfig;

  before(async () => {
    const images = testImages();
    if (typeof images === 'string') throw new Error(images);
    podman = testPodman();
    const runtime = new CustomRuntime(TEMPLATE, { network: 'host', options: ['--pull=never', '--network', 'none'] }, podman.env);
    ({ manager, recorder } = await startManager({ size: 1, env: { set: { GREETING: 'from the template' } }, containers: { runtime, defaultImage: images.python } }));
  });
  after(async () => {
    await manager.stop();
    removePodman(podman);
    removeTempDirs();
  });

  test("the template's placeholders reach the container: image, mounts, variables, working directory, options", async () => {
    const source = 'import os\n[open("/etc/os-release").read().split("\\n")[0], os.environ["GREETING"], os.getcwd().startswith(os.environ["HOME"]), sorted(os.listdir("/sys/class/net"))]';
    const done = await runToEnd(manager, recorder, source);
    assert.deepEqual(done.result?.value, ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', 'from the template', true, ['lo']]);
  });

  test('with {pidfile} a timed-out task is killed by the container\'s host pid, with what it started', async () => {
    const marker = uniqueMarker();
    const id = run(manager, `import subprocess, time\nsubprocess.Popen(["sleep", "${marker}"])\ntime.sleep(60)`, { timeout_s: 1 });
    await waitFor(() => processesWith(marker).length === 1, { what: 'the sleep in the container', timeoutMs: 20_000 });
    const done = await recorder.wait(id);
    assert.equal(done.error?.evalue, 'timed out after 1 s');
    await waitFor(() => processesWith(marker).length === 0, { what: 'the sleep gone', timeoutMs: 10_000 });
    assert.equal((await runToEnd(manager, recorder, '"next"')).result?.value, 'next');
  });
});
