/** How a worker is isolated; `sandbox` in config.yaml picks one (see docs/endpoint.md). */
export type RuntimeKind = 'process' | 'bwrap';

/** A command line to spawn, with its environment and working directory. */
export interface WorkerLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Turns a worker's own command into the command that runs it isolated. */
export interface Runtime {
  readonly kind: RuntimeKind;
  /**
   * The runtime's own init keeps every process the worker starts inside the worker's tree and reaps them (a PID
   * namespace); otherwise the worker forks a reaper of its own (funcx_process.become_reaper).
   */
  readonly keepsProcessTree: boolean;
  /** `scratch` is the one directory the worker may write (its HOME, holding each task's directory). */
  wrap(worker: WorkerLaunch, scratch: string): WorkerLaunch;
}
