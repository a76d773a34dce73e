import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, waitFor, type HubProcess } from '@funcx/testing';

const mpiProblem = spawnSync('sh', ['-c', 'command -v mpiexec']).status === 0 ? undefined : 'mpiexec is not installed (apt-get install openmpi-bin)';

/** MPI tasks on a real endpoint with Debian's OpenMPI: the function runs on every rank under mpiexec. */
describe('MPI tasks', { skip: mpiProblem }, () => {
  let hub: HubProcess;
  let client: HubClient;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-mpi-') });
    await startEndpoint(hub, {
      name: 'mpi',
      workers: 1,
      config: { mpi_launcher: 'mpiexec', mpi_launcher_options: ['--allow-run-as-root', '--oversubscribe'] },
    });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(cleanup);

  const finished = (taskId: string) =>
    waitFor(
      async () => {
        const task = await client.getTask(taskId);
        return ['success', 'failed', 'cancelled'].includes(task.state) && task;
      },
      { what: `task ${taskId} finished`, timeoutMs: 60_000, intervalMs: 100 },
    ) as Promise<TaskRecord>;

  /** A task of this source run on 2 ranks, once it has succeeded. */
  const onTwoRanks = async (source: string): Promise<TaskRecord> => {
    const { task_id } = await client.submit({ endpoint: 'mpi', source, resource_specification: { num_nodes: 1, ranks_per_node: 2 } });
    const task = await finished(task_id);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    return task;
  };
  /** What the task printed, on both streams or on one. */
  const printedBy = (task: TaskRecord, name?: 'stdout' | 'stderr') =>
    task.outputs.map((output) => (output.output_type === 'stream' && (name === undefined || output.name === name) ? output.text : '')).join('');

  test('a task asking for 2 ranks runs on both, and its value is every rank\'s in rank order', async () => {
    const task = await onTwoRanks('import os\nprint("rank", os.environ["OMPI_COMM_WORLD_RANK"], "of", os.environ["OMPI_COMM_WORLD_SIZE"])\nint(os.environ["OMPI_COMM_WORLD_RANK"])');
    assert.deepEqual(task.result?.value, [0, 1]);
    const printed = printedBy(task);
    assert.match(printed, /rank 0 of 2/);
    assert.match(printed, /rank 1 of 2/);
  });

  test("ranks printing at once interleave whole lines, never one rank's words inside another's line", async () => {
    const task = await onTwoRanks('import os, time\nrank = os.environ["OMPI_COMM_WORLD_RANK"]\nfor i in range(100):\n    print("rank", rank, "line", i)\n    time.sleep(0.001)\nNone');
    const printed = printedBy(task, 'stdout');
    const lines = printed.split('\n').filter(Boolean);
    assert.deepEqual(lines.filter((line) => !/^rank [01] line \d+$/.test(line)), []);
    assert.equal(lines.length, 200);
  });

  test("a rank's exception fails the task with it, naming the rank", async () => {
    const { task_id } = await client.submit({
      endpoint: 'mpi',
      source: 'import os\nif os.environ["OMPI_COMM_WORLD_RANK"] == "1":\n    raise ValueError("rank one says no")\n0',
      resource_specification: { num_nodes: 1, ranks_per_node: 2 },
    });
    const task = await finished(task_id);
    assert.equal(task.state, 'failed');
    assert.equal(task.error?.ename, 'ValueError');
    assert.equal(task.error?.evalue, 'rank one says no (rank 1)');
  });

  test('a task asking for more nodes than a block has fails with why', async () => {
    const { task_id } = await client.submit({ endpoint: 'mpi', source: '0', resource_specification: { num_nodes: 2, ranks_per_node: 1 } });
    const task = await finished(task_id);
    assert.equal(task.error?.ename, 'ResourceError');
    assert.match(task.error!.evalue, /asks for 2 nodes; this endpoint's blocks have 1/);
  });
});
