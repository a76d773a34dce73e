import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord } from '@funcx/protocol';
import { bin, cleanup, makeTempDir, slurmProblem, startEndpoint, startHub, startSlurm, waitFor, type EndpointProcess, type HubProcess, type SlurmCluster } from '@funcx/testing';

/**
 * An endpoint whose blocks are jobs of a real single-node Slurm cluster (slurmctld, slurmd and munged started
 * for the test): blocks come through sbatch as tasks wait, a block scancelled mid-run gives its tasks back, and
 * idle blocks go once the work is done.
 */
describe('an endpoint on Slurm', { skip: slurmProblem() }, () => {
  let slurm: SlurmCluster;
  let hub: HubProcess;
  let endpoint: EndpointProcess;
  let client: HubClient;

  before(async () => {
    slurm = await startSlurm({ cpus: 2 });
    hub = await startHub({ funcxHome: makeTempDir('funcx-slurm-hub-') });
    endpoint = await startEndpoint(hub, {
      name: 'cluster',
      workers: 2,
      env: { SLURM_CONF: slurm.env.SLURM_CONF },
      config: {
        provider: 'slurm',
        init_blocks: 1,
        min_blocks: 0,
        max_blocks: 2,
        max_idletime: 2,
        strategy_period: 0.5,
        slurm: { walltime: '00:10:00', partition: 'debug' },
      },
    });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(async () => {
    await cleanup();
    await slurm?.stop();
  });

  test('50 tasks end in success though one of two blocks is scancelled mid-run, then the idle blocks leave squeue', async () => {
    // Tasks run until the test opens the gate, so the block scancelled below has tasks however slow the machine.
    const gate = join(makeTempDir('funcx-slurm-gate-'), 'open');
    const { function_id } = await client.registerFunction({
      name: 'wait_for_gate',
      language: 'python',
      entrypoint: 'wait_for_gate',
      source:
        'def wait_for_gate(i, gate):\n    import os, time\n    while not os.path.exists(gate):\n        time.sleep(0.05)\n    return i * i\n',
    });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await client.submit({ function_id, endpoint: 'cluster', args: [i, gate] })).task_id);
    const running = await waitFor(
      async () => {
        const blocks = (await endpoint.view()).status.blocks ?? [];
        const busy = blocks.filter((block) => block.state === 'running' && block.workers_busy > 0);
        return blocks.length === 2 && busy.length === 2 && busy;
      },
      { what: 'two blocks running tasks', timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(slurm.jobs().length, 2, 'both blocks are Slurm jobs');
    // The CLI reads the status the daemon last wrote down, which may trail what the hub was just told.
    const runningLine = new RegExp(`block:\\s+job ${running[0].job_id} running`);
    await waitFor(
      () => runningLine.test(execFileSync(process.execPath, [bin.endpoint, 'status', 'cluster'], { env: hub.env(), encoding: 'utf8' })),
      { what: `funcx-endpoint status to show block ${running[0].job_id} running`, timeoutMs: 20_000, intervalMs: 250 },
    );
    slurm.scancel(running[0].job_id);
    await waitFor(() => /was lost \(.*\): \d+ task\(s\) go back to the queue/.test(endpoint.process!.output), { what: 'the scancelled block\'s tasks back in the queue' });
    // While tasks wait, no block is idle: the daemon keeps the cancelled one until Slurm no longer lists its job.
    const ended = new RegExp(`block \\d+ \\(slurm job ${running[0].job_id}\\) ended while running`);
    await waitFor(() => ended.test(endpoint.process!.output), { what: `the daemon to see slurm job ${running[0].job_id} end`, timeoutMs: 30_000, intervalMs: 250 });
    writeFileSync(gate, '');
    const done = (await waitFor(
      async () => {
        const tasks = await Promise.all(ids.map((id) => client.getTask(id)));
        return tasks.every((task) => ['success', 'failed', 'cancelled'].includes(task.state)) && tasks;
      },
      { what: '50 tasks finished', timeoutMs: 120_000, intervalMs: 250 },
    )) as TaskRecord[];
    assert.deepEqual(done.filter((task) => task.state !== 'success').map((task) => task.error), []);
    assert.deepEqual(done.map((task) => task.result?.value), ids.map((_, i) => i * i));
    assert.match(endpoint.process!.output, /was lost \(.*\): \d+ task\(s\) go back to the queue/);
    await waitFor(() => slurm.jobs().length === 0, { what: 'squeue empty after the idle time', timeoutMs: 30_000, intervalMs: 250 });
    await waitFor(async () => ((await endpoint.view()).status.blocks ?? []).length === 0, { what: 'no blocks in the status' });
  });
});
