import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeTempDir } from './tempdir.js';
import { freePort } from './ports.js';
import { spawnProcess, type ManagedProcess } from './processes.js';
import { waitFor } from './wait.js';

export interface SlurmCluster {
  dir: string;
  /** SLURM_CONF (and the munge socket) for sbatch, squeue, scancel. */
  env: NodeJS.ProcessEnv;
  /** Job ids squeue lists now. */
  jobs(): string[];
  scancel(jobId: string): void;
  stop(): Promise<void>;
}

/** Why a Slurm cluster cannot start here (a program missing), or undefined. */
export function slurmProblem(): string | undefined {
  for (const program of ['slurmctld', 'slurmd', 'munged', 'sbatch']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) return `${program} is not installed (apt-get install slurm-wlm munge)`;
  }
  return undefined;
}

/**
 * A real single-node Slurm cluster of its own: munged with its own key and socket, slurmctld and slurmd in the
 * foreground (the test owns their pids) with a slurm.conf in a temp dir, one node of this machine's cores.
 * Ready once the node is idle; stop() ends the jobs, the daemons and munged, each by pid.
 */
export async function startSlurm(options: { cpus?: number; timeoutMs?: number } = {}): Promise<SlurmCluster> {
  const dir = makeTempDir('funcx-slurm-');
  const host = hostname().split('.')[0];
  const cpus = options.cpus ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  for (const sub of ['state', 'spool', 'log', 'munge']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const mungeSocket = join(dir, 'munge', 'munge.socket');
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, execFileSync('head', ['-c', '1024', '/dev/urandom']), { mode: 0o400 });
  chmodSync(join(dir, 'munge'), 0o700);
  const munged = spawnProcess(
    'munged',
    ['--foreground', '--force', `--key-file=${key}`, `--socket=${mungeSocket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${join(dir, 'munge', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'seed')}`],
    { name: 'munged' },
  );
  await waitFor(() => existsSync(mungeSocket) || Boolean(munged.exitStatus), { what: 'the munge socket', timeoutMs });
  if (munged.exitStatus) throw new Error(`munged exited:\n${munged.tail()}`);
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=funcx',
      `SlurmctldHost=${host}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${mungeSocket}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core',
      'ReturnToService=2',
      'MpiDefault=none',
      'AccountingStorageType=accounting_storage/none',
      'JobCompType=jobcomp/none',
      'JobAcctGatherType=jobacct_gather/none',
      'SchedulerType=sched/backfill',
      'MinJobAge=2',
      'KillWait=2',
      'InactiveLimit=0',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=4000 State=UNKNOWN`,
      'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const daemons: ManagedProcess[] = [];
  const stop = async () => {
    spawnSync('scancel', ['--full', '--user=root'], { env, timeout: 10_000 });
    // The daemons pass the cancel on to each job's slurmstepd: stopped first, they would leave the job running.
    await waitFor(() => listJobs(env).length === 0, { what: 'every job gone', timeoutMs: 15_000, intervalMs: 200 }).catch(() => undefined);
    for (const daemon of daemons.reverse()) await daemon.stop(5_000);
    await munged.stop(2_000);
    killLeftJobs(conf);
  };
  try {
    daemons.push(spawnProcess('slurmctld', ['-D', '-f', conf], { name: 'slurmctld', env }));
    daemons.push(spawnProcess('slurmd', ['-D', '-f', conf], { name: 'slurmd', env }));
    await waitFor(
      () => {
        for (const daemon of daemons) if (daemon.exitStatus) throw new Error(`${daemon.name} exited:\n${daemon.tail()}\n${logTail(dir)}`);
        const out = spawnSync('sinfo', ['--noheader', '--format=%T'], { env, encoding: 'utf8', timeout: 5_000 });
        return out.status === 0 && /idle/.test(out.stdout);
      },
      { what: 'the Slurm node idle', timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dir,
    env,
    jobs: () => listJobs(env),
    scancel(jobId) {
      const out = spawnSync('scancel', [jobId], { env, encoding: 'utf8', timeout: 10_000 });
      if (out.status !== 0) throw new Error(`scancel ${jobId} failed: ${out.stderr.trim()}`);
    },
    stop,
  };
}

function listJobs(env: NodeJS.ProcessEnv): string[] {
  const out = spawnSync('squeue', ['--noheader', '--format=%i'], { env, encoding: 'utf8', timeout: 10_000 });
  return (out.stdout ?? '').split('\n').map((line) => line.trim()).filter(Boolean);
}

/**
 * What the jobs of this cluster left running once its daemons are gone (a cancel they had no time to pass on):
 * each job's slurmstepd, its batch script, srun and the step's tasks all carry the cluster's SLURM_CONF in
 * their environment. Each is killed by pid.
 */
function killLeftJobs(conf: string): void {
  const mark = `SLURM_CONF=${conf}\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (!environ.includes(mark)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, 'log', 'slurmctld.log'), 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}
