import { fileURLToPath } from 'node:url';
import { MAX_DISPLAY_VALUE_DEPTH, MAX_RESULT_VALUE_DEPTH } from '@funcx/protocol';
import { ProcessRuntime, type Runtime, type WorkerLaunch } from './runtimes/index.js';
import { workerEnv, type WorkerEnvSettings } from './worker-env.js';

/** The Python worker program (stdlib only). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../worker/funcx_worker.py', import.meta.url));

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

/** The command line, environment and directory of one worker, wrapped by its runtime. */
export function workerLaunch(options: WorkerLaunchOptions): WorkerLaunch {
  const runtime = options.runtime ?? new ProcessRuntime();
  const args = ['-B', WORKER_SCRIPT, '--scratch', options.scratch];
  args.push('--value-depth', String(MAX_RESULT_VALUE_DEPTH), '--display-depth', String(MAX_DISPLAY_VALUE_DEPTH));
  if (options.rlimits?.memoryMb) args.push('--memory-mb', String(options.rlimits.memoryMb));
  if (options.rlimits?.processes) args.push('--processes', String(options.rlimits.processes));
  if (!runtime.keepsProcessTree) args.push('--reaper');
  const worker: WorkerLaunch = {
    command: options.python,
    args,
    env: workerEnv(options.scratch, options.env, options.daemonEnv),
    cwd: options.scratch,
  };
  return runtime.wrap(worker, options.scratch);
}
