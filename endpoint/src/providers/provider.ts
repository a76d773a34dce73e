import type { EndpointConfig } from '../config.js';
import type { Log } from '../log.js';

/** Where an endpoint's blocks come from. */
export const PROVIDER_KINDS = ['local', 'slurm', 'pbs', 'kubernetes'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** What a block's managers are started with. */
export interface BlockLaunch {
  /** The daemon's name for the block (FUNCX_BLOCK_ID). */
  blockId: string;
  nodes: number;
  /** FUNCX_MANAGER_DAEMON, FUNCX_MANAGER_SECRET, FUNCX_BLOCK_ID. */
  env: { [name: string]: string };
  /** The manager program, as argv: node and its script. */
  managerCommand: string[];
}

/** A job as its scheduler sees it; one it no longer lists (ended, cancelled, failed) is `gone`. */
export type JobState = 'pending' | 'running' | 'gone';

export interface ProviderOptions {
  config: EndpointConfig;
  /** Where the provider keeps what it writes for its blocks (batch scripts, their output). */
  dir: string;
  /** The daemon's environment (what a local block inherits). */
  env: NodeJS.ProcessEnv;
  log: Log;
}

/**
 * Starts and stops blocks, as Parsl's execution providers do: a block is a local process, a Slurm or PBS job, a
 * pod; each runs the manager program on its nodes, which connects back to the daemon. The strategy (blocks.ts)
 * decides how many; the interchange (interchange.ts) gives their managers tasks.
 */
export interface Provider {
  readonly kind: ProviderKind;
  /** Starts a block; resolves with its job id (the scheduler's). */
  submit(launch: BlockLaunch): Promise<string>;
  /** What the scheduler says of these jobs. */
  status(jobIds: string[]): Promise<Map<string, JobState>>;
  cancel(jobIds: string[]): Promise<void>;
  /** How long a block may run (its walltime), if it is bounded. */
  readonly walltimeMs?: number;
  /** Stops whatever is left (the daemon stops). */
  stop(): Promise<void>;
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lines of a batch script that tell its managers where the daemon is, then start them. */
export function managerLines(launch: BlockLaunch, nodeList: string, start: string): string[] {
  const exports = Object.entries(launch.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return [...exports, `export FUNCX_BLOCK_NODES=${nodeList}`, `${start}${launch.managerCommand.map(shellQuote).join(' ')}`];
}
