import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord, TaskSubmission } from '@funcx/protocol';
import {
  bin,
  cleanup,
  makeTempDir,
  podmanProblem,
  runProcess,
  startEndpoint,
  startHub,
  testImages,
  waitFor,
  type EndpointProcess,
  type HubProcess,
} from '@funcx/testing';
import { podmanConfigPaths } from '../src/runtimes/index.js';

const images = testImages();

describe('an endpoint whose workers run in podman containers, against a real hub', { skip: podmanProblem() }, () => {
  let hub: HubProcess;
  let client: HubClient;
  let site: EndpointProcess;
  let bare: EndpointProcess;

  before(async () => {
    if (typeof images === 'string') throw new Error(images);
    hub = await startHub({ funcxHome: makeTempDir('funcx-container-endpoint-') });
    site = await startEndpoint(hub, {
      name: 'site',
      workers: 2,
      config: {
        container_runtime: 'podman',
        container_image: images.python,
        container_image_stores: [images.imageStore],
        container_options: ['--pull=never'],
        max_warm_containers: 2,
      },
      timeoutMs: 60_000,
    });
    // apptainer is not installed here: that endpoint must start, say so, and fail only the tasks that need it.
    bare = await startEndpoint(hub, { name: 'bare', workers: 1, config: { container_runtime: 'apptainer' } });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(cleanup);

  const finished = async (task: TaskSubmission) => {
    const { task_id } = await client.submit(task);
    return (await waitFor(
      async () => {
        const record = await client.getTask(task_id).catch(() => undefined);
        return record && ['success', 'failed', 'cancelled'].includes(record.state) ? record : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: `task ${task_id} finished` },
    )) as TaskRecord;
  };
  const status = async (name: string) =>
    (await runProcess(process.execPath, [bin.endpoint, 'status', name], { env: hub.env() })).stdout;

  test("a task runs in the endpoint's default image, where FUNCX_HOME is not to be found", async () => {
    const done = await finished({
      endpoint: 'site',
      source: `import os\n[open("/etc/os-release").read().split("\\n")[0], os.path.exists(${JSON.stringify(hub.funcxHome)})]`,
    });
    assert.equal(done.state, 'success', JSON.stringify(done.error));
    assert.deepEqual(done.result?.value, ['PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"', false]);
  });

  test('the hub shows the warm pool the endpoint reports: its image, with workers and idle counts', async () => {
    if (typeof images === 'string') throw new Error(images);
    const warm = await waitFor(
      async () => {
        const view = await site.view();
        return view.status.warm_images.find((image) => image.image === images.python && image.idle === 2);
      },
      { timeoutMs: 10_000, intervalMs: 200, what: 'two idle warm workers of the image in a heartbeat' },
    );
    assert.deepEqual(warm, { image: images.python, workers: 2, idle: 2 });
  });

  test("a task naming an image the endpoint lacks fails with podman's reason, which its log and status keep", async () => {
    const done = await finished({ endpoint: 'site', source: '1', container_image: 'localhost/not-here:1' });
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'ContainerError');
    assert.match(done.error!.evalue, /localhost\/not-here:1: image not known/);
    assert.match(await status('site'), /container failure: +localhost\/not-here:1 at .*image not known/);
    assert.match(site.process!.output, /the container for image localhost\/not-here:1 could not start/);
    assert.equal((await finished({ endpoint: 'site', source: '"still serving"' })).result?.value, 'still serving');
  });

  test('a runtime that is not installed: the endpoint says which and what to install, and only tasks that need it fail', async () => {
    assert.match(bare.process!.output, /container_runtime apptainer: apptainer is not installed \(not found on PATH\): install apptainer/);
    assert.match(await status('bare'), /container problem: +container_runtime apptainer: apptainer is not installed/);
    const needs = await finished({ endpoint: 'bare', source: '1', container_image: 'docker://python:3.11' });
    assert.equal(needs.error?.ename, 'ContainerError');
    assert.match(needs.error!.evalue, /apptainer is not installed/);
    assert.equal((await finished({ endpoint: 'bare', source: '"bare"' })).result?.value, 'bare');
  });

  test('a daemon killed mid-task leaves no container of its own once it is started again', async () => {
    const podman = podmanConfigPaths(site.dir);
    const names = () =>
      execFileSync('podman', ['ps', '--all', '--format', '{{.Names}}'], { env: { ...process.env, ...podman.env }, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
    const { task_id } = await client.submit({ endpoint: 'site', source: 'import time\nprint("started", flush=True)\ntime.sleep(120)' });
    await waitFor(async () => (await client.getTask(task_id)).state === 'running', { what: 'the task running', timeoutMs: 20_000, intervalMs: 50 });
    const before = names();
    assert.ok(before.length >= 1, `containers before the kill: ${before}`);
    await site.kill9();
    await site.start();
    assert.match(site.process!.output, /removed [12] container\(s\) left from an earlier run/);
    const after = names();
    assert.deepEqual(after.filter((name) => before.includes(name)), [], 'none of the old containers is left');
    await client.cancelTask(task_id);
  });

  test('stopping the endpoint leaves no container, mount or podman run directory behind', async () => {
    await site.stop();
    const podman = podmanConfigPaths(site.dir);
    assert.ok(!existsSync(podman.runDir), `${podman.runDir} removed`);
    const left = execFileSync('podman', ['ps', '--all', '--quiet'], { env: { ...process.env, ...podman.env }, encoding: 'utf8' });
    rmSync(podman.runDir, { recursive: true, force: true });
    assert.equal(left.trim(), '');
    assert.ok(!execFileSync('mount', { encoding: 'utf8' }).includes(join(site.dir, 'podman')), 'nothing mounted under the endpoint');
  });
});
