import { join } from 'node:path';
import type { EndpointConfig } from '../config.js';
import { walltimeMs } from '../config-blocks.js';
import { jobName, runScheduler, writeScript } from './batch.js';
import type { BlockLaunch, JobState, Provider, ProviderOptions } from './provider.js';
import { managerLines } from './provider.js';

const DEFAULT_WALLTIME = '01:00:00';
const PENDING = new Set(['PENDING', 'CONFIGURING', 'REQUEUED', 'RESIZING', 'SUSPENDED']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING']);

/** The sbatch script of one block: its header from config.yaml `slurm`, worker_init, then its managers. */
export function slurmScript(config: EndpointConfig, launch: BlockLaunch, outputPath: string): string {
  const slurm = config.slurm ?? {};
  const header = [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName(config.name, launch.blockId)}`,
    `#SBATCH --nodes=${launch.nodes}`,
    '#SBATCH --ntasks-per-node=1',
    `#SBATCH --time=${slurm.walltime ?? DEFAULT_WALLTIME}`,
    `#SBATCH --output=${outputPath}`,
  ];
  if (slurm.partition) header.push(`#SBATCH --partition=${slurm.partition}`);
  if (slurm.account) header.push(`#SBATCH --account=${slurm.account}`);
  if (slurm.qos) header.push(`#SBATCH --qos=${slurm.qos}`);
  if (slurm.exclusive) header.push('#SBATCH --exclusive');
  if (slurm.scheduler_options) header.push(slurm.scheduler_options.trimEnd());
  const launcher = slurm.launcher ?? 'srun';
  // srun starts one manager on each node of the allocation; plain, one on the first node.
  const start = launcher === 'srun' ? `srun --nodes=${launch.nodes} --ntasks-per-node=1 --kill-on-bad-exit=0 ` : 'exec ';
  const body = managerLines(launch, '$(scontrol show hostnames "$SLURM_JOB_NODELIST" | paste -sd, -)', start);
  return [...header, '', ...(config.worker_init ? [config.worker_init.trimEnd()] : []), ...body, ''].join('\n');
}

/** Blocks as Slurm jobs: sbatch to submit, squeue to watch, scancel to stop. */
export class SlurmProvider implements Provider {
  readonly kind = 'slurm';
  readonly walltimeMs: number;

  constructor(private readonly options: ProviderOptions) {
    this.walltimeMs = walltimeMs(options.config.slurm?.walltime ?? DEFAULT_WALLTIME)!;
  }

  async submit(launch: BlockLaunch): Promise<string> {
    const { config, dir } = this.options;
    const script = writeScript(dir, `block-${launch.blockId}.sbatch`, slurmScript(config, launch, join(dir, `block-${launch.blockId}.out`)));
    const out = await runScheduler('sbatch', ['--parsable', script]);
    const jobId = out.trim().split(';')[0];
    if (!/^\d+(_\d+)?$/.test(jobId)) throw new Error(`sbatch printed no job id: ${JSON.stringify(out.trim())}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, JobState>> {
    const states = new Map<string, JobState>(jobIds.map((id) => [id, 'gone']));
    if (jobIds.length === 0) return states;
    const out = await runScheduler('squeue', ['--noheader', '--format=%i %T']);
    for (const line of out.split('\n')) {
      const [id, state] = line.trim().split(/\s+/);
      if (!states.has(id)) continue;
      states.set(id, PENDING.has(state) ? 'pending' : RUNNING.has(state) ? 'running' : 'gone');
    }
    return states;
  }

  async cancel(jobIds: string[]): Promise<void> {
    if (jobIds.length > 0) await runScheduler('scancel', jobIds).catch((error: Error) => this.options.log('warn', error.message));
  }

  async stop(): Promise<void> {}
}
