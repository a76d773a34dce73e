import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../src/config.js';
import { workersPerNode } from '../src/config-blocks.js';
import { mpiCommand } from '../src/mpi-runner.js';
import { podManifest, podState } from '../src/providers/kubernetes.js';
import { pbsScript, pbsState } from '../src/providers/pbs.js';
import type { BlockLaunch } from '../src/providers/provider.js';
import { slurmScript } from '../src/providers/slurm.js';

const base = [
  'name: hpc',
  'endpoint_id: 52c0f0d9-f50a-4be3-9dd6-e246fc0bc0a5',
  'hub_url: http://127.0.0.1:8470',
  'endpoint_token: fxe_secret',
].join('\n');
const config = (extra: string) => parseConfig(`${base}\n${extra}\n`, 'config.yaml');
const launch: BlockLaunch = {
  blockId: '3',
  nodes: 2,
  env: { FUNCX_MANAGER_DAEMON: '10.0.0.1:5555', FUNCX_MANAGER_SECRET: "s3cr'et", FUNCX_BLOCK_ID: '3' },
  managerCommand: ['/usr/bin/node', '/opt/funcx/manager-main.js'],
};

test('the sbatch script carries partition, account, qos, walltime, scheduler_options and worker_init, then srun starts one manager a node', () => {
  const script = slurmScript(
    config([
      'provider: slurm',
      'worker_init: "module load python/3.11"',
      'slurm: { partition: gpu, account: proj42, qos: debug, walltime: "00:30:00", exclusive: true, scheduler_options: "#SBATCH --constraint=a100" }',
    ].join('\n')),
    launch,
    '/x/block-3.out',
  );
  assert.equal(
    script,
    [
      '#!/bin/bash',
      '#SBATCH --job-name=funcx-hpc-3',
      '#SBATCH --nodes=2',
      '#SBATCH --ntasks-per-node=1',
      '#SBATCH --time=00:30:00',
      '#SBATCH --output=/x/block-3.out',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=proj42',
      '#SBATCH --qos=debug',
      '#SBATCH --exclusive',
      '#SBATCH --constraint=a100',
      '',
      'module load python/3.11',
      'export FUNCX_BLOCK_ID=3',
      'export FUNCX_MANAGER_DAEMON=10.0.0.1:5555',
      "export FUNCX_MANAGER_SECRET='s3cr'\\''et'",
      'export FUNCX_BLOCK_NODES=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | paste -sd, -)',
      'srun --nodes=2 --ntasks-per-node=1 --kill-on-bad-exit=0 /usr/bin/node /opt/funcx/manager-main.js',
      '',
    ].join('\n'),
  );
});

test('launcher plain starts one manager, in the batch shell', () => {
  const script = slurmScript(config('provider: slurm\nslurm: { launcher: plain }'), launch, '/x/o');
  assert.match(script, /\nexec \/usr\/bin\/node \/opt\/funcx\/manager-main.js\n$/);
  assert.match(script, /#SBATCH --time=01:00:00/, 'an hour unless walltime says otherwise');
});

test('the qsub script asks for select=N with select_options, queue, account and walltime', () => {
  const script = pbsScript(
    config('provider: pbs\npbs: { queue: workq, account: A1, walltime: "02:00:00", select_options: "ncpus=64:ngpus=4", launcher: mpiexec }'),
    launch,
    '/x/o',
  );
  for (const line of ['#PBS -N funcx-hpc-3', '#PBS -l select=2:ncpus=64:ngpus=4', '#PBS -l walltime=02:00:00', '#PBS -q workq', '#PBS -A A1', '#PBS -o /x/o']) {
    assert.ok(script.split('\n').includes(line), `${line} in:\n${script}`);
  }
  assert.match(script, /export FUNCX_BLOCK_NODES=\$\(sort -u "\$PBS_NODEFILE" \| paste -sd, -\)/);
  assert.match(script, /\nmpiexec -n 2 --map-by ppr:1:node --hostfile "\$PBS_NODEFILE" \/usr\/bin\/node/);
  assert.deepEqual(['Q', 'H', 'R', 'E', 'F', 'X'].map(pbsState), ['pending', 'pending', 'running', 'running', 'gone', 'gone']);
});

test('a block pod has the image, namespace-free name, cpu/memory requests and limits, and the manager variables', () => {
  const pod = podManifest(
    config('provider: kubernetes\nkubernetes: { image: "registry.example/funcx:1", namespace: science, cpu_request: "1", cpu_limit: "2", memory_request: 1Gi, memory_limit: 2Gi }'),
    launch,
  );
  assert.equal(pod.metadata.name, 'funcx-hpc-3');
  assert.equal(pod.spec.restartPolicy, 'Never');
  const [container] = pod.spec.containers;
  assert.equal(container.image, 'registry.example/funcx:1');
  assert.deepEqual(container.resources, { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } });
  assert.deepEqual(container.command, ['/bin/sh', '-c', 'exec node /opt/funcx/endpoint/dist/src/manager-main.js']);
  assert.deepEqual(container.env.map((entry) => entry.name), ['FUNCX_BLOCK_ID', 'FUNCX_BLOCK_NODES', 'FUNCX_MANAGER_DAEMON', 'FUNCX_MANAGER_SECRET']);
  assert.deepEqual(['Pending', 'Running', 'Succeeded', 'Failed'].map(podState), ['pending', 'running', 'gone', 'gone']);
  assert.throws(() => podManifest(config('provider: kubernetes'), launch), /kubernetes.image is missing/);
});

test('workers per node: max_workers_per_node, bounded by cores_per_worker and by the accelerators', () => {
  assert.equal(workersPerNode(config('max_workers_per_node: 8'), 64), 8);
  assert.equal(workersPerNode(config('max_workers_per_node: 64\ncores_per_worker: 4'), 64), 16);
  assert.equal(workersPerNode(config('max_workers_per_node: 64\navailable_accelerators: ["0", "1", "2", "3"]'), 64), 4);
  assert.equal(workersPerNode(config('workers: 3'), 64), 3, 'workers, when max_workers_per_node is not given');
});

test('bad block fields are named with what to put there', () => {
  assert.throws(() => config('min_blocks: 3\nmax_blocks: 2'), /min_blocks \(3\) is more than max_blocks \(2\)/);
  assert.throws(() => config('slurm: { walltime: "1h" }'), /slurm.walltime must be HH:MM:SS/);
  assert.throws(() => config('slurm: { partiton: x }'), /slurm.partiton is not a field of slurm/);
  assert.throws(() => config('cores_per_worker: 0'), /cores_per_worker must be a number above 0/);
  assert.deepEqual(config('available_accelerators: 2').available_accelerators, ['0', '1']);
});

test('an MPI task starts under mpiexec with its ranks, or srun with nodes and ranks per node', () => {
  assert.deepEqual(mpiCommand('mpiexec', ['--oversubscribe'], { num_nodes: 1, ranks_per_node: 4 }, ['a'], ['python3', 'rank.py']), [
    'mpiexec', '-n', '4', '--oversubscribe', 'python3', 'rank.py',
  ]);
  assert.deepEqual(mpiCommand('mpiexec', [], { num_nodes: 2, ranks_per_node: 2 }, ['a', 'b', 'c'], ['p']), ['mpiexec', '-n', '4', '--host', 'a:2,b:2', 'p']);
  assert.deepEqual(mpiCommand('srun', [], { num_nodes: 2, ranks_per_node: 3 }, ['a', 'b'], ['p']), [
    'srun', '--nodes', '2', '--ntasks-per-node', '3', '--ntasks', '6', 'p',
  ]);
});
