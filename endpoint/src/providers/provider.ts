import type { DispatchedTask, EndpointLoad, FunctionCode } from '@funcx/protocol';
import type { Log } from '../log.js';
import type { ManagerOptions } from '../manager.js';
import type { TaskReporter } from '../reporter.js';

/** Providers an endpoint can run its workers with (Slurm, PBS and Kubernetes will add blocks of their own). */
export const PROVIDER_KINDS = ['local'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface ProviderOptions {
  /** Workers per block (the local provider has one block: this machine). */
  workers: number;
  python: string;
  /** How each block's manager runs its workers: runtime, environment, limits, allowed functions, ledger. */
  manager: Omit<ManagerOptions, 'size' | 'python' | 'log'>;
  reporter: TaskReporter;
  log: Log;
}

/**
 * Where an endpoint's tasks run. A provider starts blocks (a local process group, a batch job, a pod), each with
 * a manager and its workers, spreads the tasks it is given over them, and reports everything through the reporter.
 */
export interface Provider {
  readonly kind: ProviderKind;
  /** Resolves once some worker can take tasks; rejects with a clear reason when none can start. */
  start(): Promise<void>;
  submit(tasks: DispatchedTask[], functions: FunctionCode[]): void;
  /** Stops these tasks wherever they are; returns the ids it held. */
  cancel(taskIds: string[]): string[];
  /** Ids of every task queued or running in any block. */
  held(): string[];
  load(): EndpointLoad;
  /** Stops every block and worker. */
  stop(): Promise<void>;
}
