import { join } from 'node:path';
import type { EndpointConfig } from '../config.js';
import { walltimeMs } from '../config-blocks.js';
import { jobName, runScheduler, writeScript } from './batch.js';
import type { BlockLaunch, JobState, Provider, ProviderOptions } from './provider.js';
import { managerLines } from './provider.js';

const DEFAULT_WALLTIME = '01:00:00';

/** The qsub script of one block (PBS Pro and Torque): its header from config.yaml `pbs`, worker_init, its managers. */
export function pbsScript(config: EndpointConfig, launch: BlockLaunch, outputPath: string): string {
  const pbs = config.pbs ?? {};
  const select = `select=${launch.nodes}${pbs.select_options ? `:${pbs.select_options}` : ''}`;
  const header = [
    '#!/bin/bash',
    `#PBS -N ${jobName(config.name, launch.blockId)}`,
    `#PBS -l ${select}`,
    `#PBS -l walltime=${pbs.walltime ?? DEFAULT_WALLTIME}`,
    `#PBS -o ${outputPath}`,
    '#PBS -j oe',
  ];
  if (pbs.queue) header.push(`#PBS -q ${pbs.queue}`);
  if (pbs.account) header.push(`#PBS -A ${pbs.account}`);
  if (pbs.scheduler_options) header.push(pbs.scheduler_options.trimEnd());
  // mpiexec starts one manager on each node of $PBS_NODEFILE; plain, one on the first node.
  const start = pbs.launcher === 'mpiexec' ? `mpiexec -n ${launch.nodes} --map-by ppr:1:node --hostfile "$PBS_NODEFILE" ` : 'exec ';
  const body = managerLines(launch, '$(sort -u "$PBS_NODEFILE" | paste -sd, -)', start);
  return [...header, '', 'cd "$PBS_O_WORKDIR" 2>/dev/null || true', ...(config.worker_init ? [config.worker_init.trimEnd()] : []), ...body, ''].join('\n');
}

/** A `qstat` state letter as a block state: queued, held or waiting is pending; running or exiting runs. */
export function pbsState(letter: string): JobState {
  if ('QHWTS'.includes(letter)) return 'pending';
  if ('RE'.includes(letter)) return 'running';
  return 'gone';
}

/** Blocks as PBS jobs: qsub to submit, qstat to watch, qdel to stop. */
export class PbsProvider implements Provider {
  readonly kind = 'pbs';
  readonly walltimeMs: number;

  constructor(private readonly options: ProviderOptions) {
    this.walltimeMs = walltimeMs(options.config.pbs?.walltime ?? DEFAULT_WALLTIME)!;
  }

  async submit(launch: BlockLaunch): Promise<string> {
    const { config, dir } = this.options;
    const script = writeScript(dir, `block-${launch.blockId}.pbs`, pbsScript(config, launch, join(dir, `block-${launch.blockId}.out`)));
    const jobId = (await runScheduler('qsub', [script])).trim();
    if (jobId === '' || /\s/.test(jobId)) throw new Error(`qsub printed no job id: ${JSON.stringify(jobId)}`);
    return jobId;
  }

  async status(jobIds: string[]): Promise<Map<string, JobState>> {
    const states = new Map<string, JobState>(jobIds.map((id) => [id, 'gone']));
    if (jobIds.length === 0) return states;
    // qstat exits non-zero when one of the jobs is already gone; what it printed for the others still counts.
    const out = await runScheduler('qstat', jobIds).catch(() => '');
    for (const line of out.split('\n')) {
      const fields = line.trim().split(/\s+/);
      const id = jobIds.find((job) => fields[0] === job || job.startsWith(`${fields[0]}.`) || fields[0]?.startsWith(`${job}.`));
      if (id && fields.length >= 5) states.set(id, pbsState(fields[4]));
    }
    return states;
  }

  async cancel(jobIds: string[]): Promise<void> {
    if (jobIds.length > 0) await runScheduler('qdel', jobIds).catch((error: Error) => this.options.log('warn', error.message));
  }

  async stop(): Promise<void> {}
}
