import type { Runtime, WorkerLaunch } from './runtime.js';

/** Workers run as plain processes of the daemon's user: no isolation beyond a clean environment and limits. */
export class ProcessRuntime implements Runtime {
  readonly kind = 'process';
  readonly keepsProcessTree = false;

  wrap(worker: WorkerLaunch, scratch: string): WorkerLaunch {
    return { ...worker, cwd: scratch };
  }
}
