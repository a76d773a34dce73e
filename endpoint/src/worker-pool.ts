import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamName, WorkerReply } from '@funcx/protocol';
import type { Runtime } from './runtimes/index.js';
import type { WorkerEnvSettings } from './worker-env.js';
import { workerLaunch, type WorkerRlimits } from './worker-launch.js';
import { WorkerProcess, type WorkerProcessListener } from './worker-process.js';

export interface WorkerPoolOptions {
  /** Workers kept warm. */
  size: number;
  /** Python interpreter for the workers. */
  python: string;
  /** How workers are isolated (default: plain processes). */
  runtime?: Runtime;
  /** What workers find in their environment besides the basics (config worker_env, env_passthrough). */
  env?: WorkerEnvSettings;
  /** The daemon's environment (default process.env); only PATH, LANG, LC_ALL and TZ are handed on. */
  daemonEnv?: NodeJS.ProcessEnv;
  /** Where each worker gets a scratch directory of its own; default a fresh one under the OS temp dir. */
  scratchRoot?: string;
  rlimits?: WorkerRlimits;
}

/** What the pool tells its owner (the manager). */
export interface WorkerPoolListener {
  workerReady(worker: WorkerProcess): void;
  reply(worker: WorkerProcess, reply: Exclude<WorkerReply, { t: 'ready' }>, lineLength: number): void;
  /** A worker wrote a malformed reply; it is being killed (its exit follows). */
  protocolError(worker: WorkerProcess, reason: string): void;
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
  /** Called right before requests are written to any worker. */
  beforeWrite?: () => void;
  private stopping = false;
  private startFailures = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly scratchOf = new Map<WorkerProcess, string>();
  private readonly scratchRoot: string;
  private readonly ownsScratchRoot: boolean;
  private firstReady?: { resolve: () => void; reject: (error: Error) => void };

  constructor(
    private readonly options: WorkerPoolOptions,
    private readonly listener: WorkerPoolListener,
  ) {
    this.ownsScratchRoot = options.scratchRoot === undefined;
    this.scratchRoot = options.scratchRoot ?? mkdtempSync(join(tmpdir(), 'funcx-workers-'));
    mkdirSync(this.scratchRoot, { recursive: true, mode: 0o700 });
  }

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
    for (const worker of this.workers) if (worker.ready && !worker.retiring) count++;
    return count;
  }

  /** Workers on their way: spawned and not ready yet, being recycled, or waiting to be restarted. */
  get starting(): number {
    let count = this.restartTimers.size;
    for (const worker of this.workers) if (!worker.ready || worker.retiring) count++;
    return count;
  }

  private spawn(): void {
    const scratch = mkdtempSync(join(this.scratchRoot, 'worker-'));
    const launch = workerLaunch({
      python: this.options.python,
      scratch,
      runtime: this.options.runtime,
      env: this.options.env,
      daemonEnv: this.options.daemonEnv,
      rlimits: this.options.rlimits,
    });
    const worker = new WorkerProcess(launch, this);
    worker.beforeWrite = this.beforeWrite;
    this.scratchOf.set(worker, scratch);
    this.workers.push(worker);
  }

  reply(worker: WorkerProcess, reply: WorkerReply, lineLength: number): void {
    if (reply.t === 'ready') {
      if (worker.ready) return;
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
    if (!worker.ready) return worker.fail(`it sent a "${reply.t}" reply before saying it was ready`);
    this.listener.reply(worker, reply, lineLength);
  }

  protocolError(worker: WorkerProcess, reason: string): void {
    this.listener.protocolError(worker, reason);
  }

  stdio(worker: WorkerProcess, name: StreamName, text: string): void {
    this.listener.stdio(worker, name, text);
  }

  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const index = this.workers.indexOf(worker);
    if (index !== -1) this.workers.splice(index, 1);
    rmSync(this.scratchOf.get(worker)!, { recursive: true, force: true });
    this.scratchOf.delete(worker);
    // The replacement is on its way before the owner hears of the exit, so it counts it as starting.
    if (!this.stopping) {
      if (worker.python !== '') this.spawn();
      else this.restartLater(worker, code, signal);
    }
    this.listener.workerExited(worker, code, signal);
  }

  private restartLater(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
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

  /** Replaces an idle worker by a fresh one (its exit is reported as usual and a replacement started). */
  recycle(worker: WorkerProcess): void {
    worker.retiring = true;
    worker.kill();
  }

  /** Stops every worker: SIGTERM, then the whole tree killed after a grace period. */
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
    for (const worker of this.workers) worker.terminate();
    const grace = setTimeout(() => {
      for (const worker of this.workers) worker.kill();
    }, STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(grace);
    if (this.ownsScratchRoot) rmSync(this.scratchRoot, { recursive: true, force: true });
  }
}

/** "exit code 3" or "signal SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  if (code !== null) return `exit code ${code}`;
  return 'it could not be run';
}
