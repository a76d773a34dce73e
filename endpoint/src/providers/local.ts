import { spawn, type ChildProcess } from 'node:child_process';
import { killTree } from '../process-tree.js';
import type { BlockLaunch, JobState, Provider, ProviderOptions } from './provider.js';
import { shellQuote } from './provider.js';

const STOP_GRACE_MS = 5_000;

/**
 * Blocks on this machine: each is one manager process, started exactly as a batch job starts one (the same
 * program, told where the daemon is by the same variables). Its job id is the manager's pid.
 */
export class LocalProvider implements Provider {
  readonly kind = 'local';
  private readonly children = new Map<string, ChildProcess>();

  constructor(private readonly options: ProviderOptions) {}

  submit(launch: BlockLaunch): Promise<string> {
    const init = this.options.config.worker_init;
    const [command, ...args] = init
      ? ['/bin/sh', '-c', `${init}\nexec ${launch.managerCommand.map(shellQuote).join(' ')}`]
      : launch.managerCommand;
    const child = spawn(command, args, {
      env: { ...this.options.env, ...launch.env, FUNCX_BLOCK_NODES: '' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return new Promise((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`could not start the manager program: ${error.message}`)));
      child.once('spawn', () => {
        const jobId = String(child.pid);
        this.children.set(jobId, child);
        child.once('exit', () => this.children.delete(jobId));
        resolve(jobId);
      });
    });
  }

  status(jobIds: string[]): Promise<Map<string, JobState>> {
    return Promise.resolve(new Map(jobIds.map((id) => [id, this.children.has(id) ? 'running' : 'gone'])));
  }

  async cancel(jobIds: string[]): Promise<void> {
    await Promise.all(jobIds.map((id) => this.end(id)));
  }

  /** SIGTERM (the manager stops its workers), then the whole tree killed after a grace period. */
  private end(jobId: string): Promise<void> {
    const child = this.children.get(jobId);
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const grace = setTimeout(() => child.pid && killTree(child.pid), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(grace);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  async stop(): Promise<void> {
    await this.cancel([...this.children.keys()]);
  }
}
