import type { StreamName } from '@funcx/protocol';
import { WorkerProcess, workerEnv, type WorkerProcessListener, type WorkerReply } from './worker-process.js';

export interface WorkerPoolOptions {
  /** Workers kept warm. */
  size: number;
  /** Python interpreter for the workers. */
  python: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** What the pool tells its owner (the manager). */
export interface WorkerPoolListener {
  workerReady(worker: WorkerProcess): void;
  reply(worker: WorkerProcess, reply: Exclude<WorkerReply, { t: 'ready' }>, lineLength: number): void;
  stdio(worker: WorkerProcess, name: StreamName, text: string): void;
  /** A worker exited (died, was killed, or the pool stops); its tasks are the owner's to settle. */
  workerExited(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
  /** A worker could not start (bad interpreter, crash on import); the pool retries with a growing delay. */
  startFailed?(message: string): void;
}

const RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;
const STOP_GRACE_MS = 2_000;

/** Spawns `size` Python workers, keeps them warm, and replaces any that exits. */
export class WorkerPool implements WorkerProcessListener {
  readonly workers: WorkerProcess[] = [];
  private stopping = false;
  private startFailures = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private firstReady?: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    private readonly options: WorkerPoolOptions,
    private readonly listener: WorkerPoolListener,
  ) {}

  /**
   * Spawns the workers; resolves when every worker that could start is ready (so the endpoint's first status shows
   * its full size), rejects (with its stderr) if none can start.
   */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.firstReady = { resolve, reject };
    });
    for (let i = 0; i < this.options.size; i++) this.spawn();
    return ready;
  }

  get readyCount(): number {
    let count = 0;
    for (const worker of this.workers) if (worker.ready) count++;
    return count;
  }

  private spawn(): void {
    const env = this.options.env ?? workerEnv();
    this.workers.push(new WorkerProcess({ python: this.options.python, env, cwd: this.options.cwd }, this));
  }

  reply(worker: WorkerProcess, reply: WorkerReply, lineLength: number): void {
    if (reply.t === 'ready') {
      worker.ready = true;
      worker.python = reply.python;
      this.startFailures = 0;
      if (this.firstReady && this.workers.every((other) => other.ready || other.exited)) {
        this.firstReady.resolve();
        this.firstReady = undefined;
      }
      if (!this.stopping) this.listener.workerReady(worker);
      return;
    }
    this.listener.reply(worker, reply, lineLength);
  }

  stdio(worker: WorkerProcess, name: StreamName, text: string): void {
    this.listener.stdio(worker, name, text);
  }

  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.workers.indexOf(worker);
    if (index !== -1) this.workers.splice(index, 1);
    const wasReady = worker.python !== '';
    this.listener.workerExited(worker, code, signal);
    if (this.stopping) return;
    if (wasReady) {
      this.spawn();
      return;
    }
    const reason = describeExit(code, signal);
    const message =
      `a worker could not start with "${this.options.python}" (${reason})` +
      (worker.stderrTail.trim() ? `: ${worker.stderrTail.trim()}` : '');
    this.listener.startFailed?.(message);
    if (this.firstReady && this.workers.every((other) => other.exited)) {
      this.firstReady.reject(new Error(message));
      this.firstReady = undefined;
      return;
    }
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** this.startFailures++);
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (!this.stopping) this.spawn();
    }, delay);
    this.restartTimers.add(timer);
  }

  /** Kills one worker (its exit is reported as usual and a replacement started). */
  kill(worker: WorkerProcess): void {
    worker.kill('SIGKILL');
  }

  /** Stops every worker: SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    this.firstReady?.reject(new Error('the worker pool stopped before a worker was ready'));
    this.firstReady = undefined;
    const exits = this.workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.exited) return resolve();
          worker.child.once('exit', () => resolve());
          worker.child.once('error', () => resolve());
        }),
    );
    for (const worker of this.workers) worker.kill('SIGTERM');
    const grace = setTimeout(() => {
      for (const worker of this.workers) worker.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(grace);
  }
}

/** "exit code 3" or "signal SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  if (code !== null) return `exit code ${code}`;
  return 'it could not be run';
}
