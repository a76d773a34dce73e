import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_DISPLAY_VALUE_DEPTH, MAX_RESULT_VALUE_DEPTH } from '@funcx/protocol';
import { ProcessRuntime, type ContainerRuntime, type Runtime, type WorkerLaunch } from './runtimes/index.js';
import { containerWorkerEnv, workerEnv, type WorkerEnvSettings } from './worker-env.js';

/** The Python worker program (stdlib only). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../worker/funcx_worker.py', import.meta.url));
/** Where the worker program is mounted, read-only, in every container (never baked into an image). */
export const WORKER_DIR_IN_CONTAINER = '/funcx/worker';
/** The interpreter a worker in a container runs with, found on the image's PATH. */
export const CONTAINER_PYTHON = 'python3';

/** The daemon's variables a container runtime's own client runs with (rootless podman needs the last ones). */
const CLIENT_INHERITED = ['PATH', 'HOME', 'USER', 'LOGNAME', 'XDG_RUNTIME_DIR'];

/** Limits the worker sets on itself before any user code runs (soft and hard, so they stay). */
export interface WorkerRlimits {
  /** RLIMIT_AS in MiB. */
  memoryMb?: number;
  /** RLIMIT_NPROC above what the Unix user already runs (ignored for root). */
  processes?: number;
}

export interface WorkerLaunchOptions {
  python: string;
  /** The worker's own directory: its HOME, holding each task's fresh directory. */
  scratch: string;
  runtime?: Runtime;
  env?: WorkerEnvSettings;
  /** The daemon's environment, of which only a few variables are handed on. */
  daemonEnv?: NodeJS.ProcessEnv;
  rlimits?: WorkerRlimits;
}

/** The worker program's arguments. */
function workerArgs(script: string, scratch: string, rlimits: WorkerRlimits | undefined, reaper: boolean): string[] {
  const args = ['-B', script, '--scratch', scratch];
  args.push('--value-depth', String(MAX_RESULT_VALUE_DEPTH), '--display-depth', String(MAX_DISPLAY_VALUE_DEPTH));
  if (rlimits?.memoryMb) args.push('--memory-mb', String(rlimits.memoryMb));
  if (rlimits?.processes) args.push('--processes', String(rlimits.processes));
  if (reaper) args.push('--reaper');
  return args;
}

/** The command line, environment and directory of one worker, wrapped by its runtime. */
export function workerLaunch(options: WorkerLaunchOptions): WorkerLaunch {
  const runtime = options.runtime ?? new ProcessRuntime();
  const worker: WorkerLaunch = {
    command: options.python,
    args: workerArgs(WORKER_SCRIPT, options.scratch, options.rlimits, !runtime.keepsProcessTree),
    env: workerEnv(options.scratch, options.env, options.daemonEnv),
    cwd: options.scratch,
  };
  return runtime.wrap(worker, options.scratch);
}

export interface ContainerLaunchOptions extends Omit<WorkerLaunchOptions, 'python' | 'runtime'> {
  runtime: ContainerRuntime;
  image: string;
  /** A name no other container has. */
  name: string;
  /** A host path outside the scratch directory, for the container's host pid. */
  pidFile: string;
  labels: { [name: string]: string };
}

/**
 * One worker in a container of `image`: the worker program mounted read-only, the scratch directory (at the
 * same path inside) the only writable mount; FUNCX_HOME and the endpoint's directory are never mounted.
 */
export function containerLaunch(options: ContainerLaunchOptions): WorkerLaunch {
  const { runtime, scratch } = options;
  const script = join(WORKER_DIR_IN_CONTAINER, 'funcx_worker.py');
  const daemonEnv = options.daemonEnv ?? process.env;
  const client: NodeJS.ProcessEnv = {};
  for (const name of CLIENT_INHERITED) if (daemonEnv[name] !== undefined) client[name] = daemonEnv[name];
  return runtime.launch(
    {
      image: options.image,
      mounts: [
        { source: dirname(WORKER_SCRIPT), target: WORKER_DIR_IN_CONTAINER, readOnly: true },
        { source: scratch, target: scratch, readOnly: false },
      ],
      command: [CONTAINER_PYTHON, ...workerArgs(script, scratch, options.rlimits, !runtime.keepsProcessTree)],
      env: containerWorkerEnv(scratch, options.env, daemonEnv),
      workdir: scratch,
      name: options.name,
      pidFile: options.pidFile,
      labels: options.labels,
    },
    client,
  );
}
