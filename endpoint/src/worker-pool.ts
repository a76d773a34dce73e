import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamName, WorkerReply } from '@funcx/protocol';
import type { WarmMode } from './config-containers.js';
import type { ContainerRuntime, Runtime } from './runtimes/index.js';
import type { WorkerEnvSettings } from './worker-env.js';
import { containerLaunch, workerLaunch, type WorkerRlimits } from './worker-launch.js';
import { describeExit } from './worker-exit.js';
import { WorkerProcess, type WorkerProcessListener } from './worker-process.js';

export { describeContainerExit, describeExit } from './worker-exit.js';

/** How workers run in containers (config container_*; see docs/containers.md). */
export interface ContainerPoolOptions {
  /** Undefined with `container_runtime: none`. */
  runtime?: ContainerRuntime;
  /** Why no container can start here (the runtime is not installed, or none is configured); tasks that need one fail with it. */
  problem?: string;
  /** The image of tasks that name none; "" or absent: they run without a container. */
  defaultImage?: string;
  /** Most workers in containers at once (default: the pool's size). */
  maxWarm?: number;
  /** A container idle this long is stopped (default never). */
  idleMs?: number;
  mode?: WarmMode;
  /** Container names and labels carry it, so leftovers can be found (`funcx.endpoint=ID`). */
  endpointId?: string;
}

export interface WorkerPoolOptions {
  /** Most workers at once (each with or without a container); that many are started warm. */
  size: number;
  /** Python interpreter for the workers without a container. */
  python: string;
  /** How workers without a container are isolated (default: plain processes). */
  runtime?: Runtime;
  containers?: ContainerPoolOptions;
  /** What workers find in their environment besides the basics (config worker_env, env_passthrough). */
  env?: WorkerEnvSettings;
  /** The daemon's environment (default process.env); only PATH, LANG, LC_ALL and TZ are handed on. */
  daemonEnv?: NodeJS.ProcessEnv;
  /** Where each worker gets a scratch directory of its own; default a fresh one under the OS temp dir. */
  scratchRoot?: string;
  rlimits?: WorkerRlimits;
  /** Accelerator ids (config available_accelerators): each worker is pinned to one not held by another. */
  accelerators?: string[];
}

/** The variables that pin a process to one accelerator: NVIDIA, AMD and Intel GPUs. */
export const ACCELERATOR_VARIABLES = ['CUDA_VISIBLE_DEVICES', 'ROCR_VISIBLE_DEVICES', 'ZE_AFFINITY_MASK'];

/** What the pool tells its owner (the manager). */
export interface WorkerPoolListener {
  workerReady(worker: WorkerProcess): void;
  reply(worker: WorkerProcess, reply: Exclude<WorkerReply, { t: 'ready' }>, lineLength: number): void;
  /** A worker wrote a malformed reply; it is being killed (its exit follows). */
  protocolError(worker: WorkerProcess, reason: string): void;
  stdio(worker: WorkerProcess, name: StreamName, text: string): void;
  /**
   * A worker exited (died, was killed, or the pool stops); its tasks are the owner's to settle. `startFailure`
   * says why a container never became ready (the runtime's own message), when that is why it ended.
   */
  workerExited(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null, startFailure?: string): void;
  /** A worker could not start (bad interpreter, crash on import, a container that would not run). */
  startFailed?(message: string): void;
}

const RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 30_000;
const STOP_GRACE_MS = 2_000;
/** How long stop() waits for the runtime to remove the containers of workers that ended. */
const REMOVAL_WAIT_MS = 15_000;
/** The longest stretch of a runtime's error kept for a task's error and the log. */
const MAX_START_MESSAGE = 1_500;

/**
 * The workers of one manager, up to `size` at once, each with or without a container. Workers of the default
 * image are started warm and replaced when they die; other images' workers are started on demand (spawnFor) and
 * stay warm for their image until they are repurposed or, idle for `container_idle_s`, stopped.
 */
export class WorkerPool implements WorkerProcessListener {
  readonly workers: WorkerProcess[] = [];
  /** Called right before requests are written to any worker. */
  beforeWrite?: () => void;
  readonly defaultImage: string;
  readonly maxContainers: number;
  private stopping = false;
  private startFailures = 0;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly scratchOf = new Map<WorkerProcess, string>();
  private readonly acceleratorOf = new Map<WorkerProcess, string>();
  private readonly scratchRoot: string;
  private readonly ownsScratchRoot: boolean;
  private firstReady?: { resolve: () => void; reject: (error: Error) => void };
  private idleTimer?: NodeJS.Timeout;
  /** Removals of containers whose workers ended: the pool has stopped once they are done. */
  private readonly removals = new Set<Promise<void>>();

  constructor(
    private readonly options: WorkerPoolOptions,
    private readonly listener: WorkerPoolListener,
  ) {
    this.ownsScratchRoot = options.scratchRoot === undefined;
    this.scratchRoot = options.scratchRoot ?? mkdtempSync(join(tmpdir(), 'funcx-workers-'));
    mkdirSync(this.scratchRoot, { recursive: true, mode: 0o700 });
    this.defaultImage = options.containers?.defaultImage ?? '';
    this.maxContainers = Math.min(options.size, options.containers?.maxWarm ?? options.size);
  }

  /** Why a container for `image` cannot be started here now, if that is known before trying. */
  containerProblem(image: string): string | undefined {
    const containers = this.options.containers;
    if (!containers?.runtime) {
      return containers?.problem ?? 'this endpoint runs no containers (container_runtime is none in its config.yaml)';
    }
    return containers.problem ?? containers.runtime.imageProblem?.(image);
  }

  /**
   * Spawns the warm workers of the default image; resolves when every one that could start is ready (so the
   * endpoint's first status shows its full size). Without a container, rejects (with its stderr) if none can
   * start; containers that cannot start are reported and the endpoint serves on (their tasks fail with why).
   */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.firstReady = { resolve, reject };
    });
    const idleMs = this.options.containers?.idleMs;
    if (this.options.containers?.runtime && idleMs !== undefined) {
      this.idleTimer = setInterval(() => this.stopIdle(idleMs), Math.min(1_000, Math.max(50, idleMs / 4)));
      this.idleTimer.unref();
    }
    const image = this.defaultImage;
    const count = image === '' ? this.options.size : this.maxContainers;
    const problem = image === '' ? undefined : this.containerProblem(image);
    if (problem) this.listener.startFailed?.(`containers for the default image ${image} cannot start: ${problem}`);
    else {
      for (let i = 0; i < count; i++) {
        try {
          this.spawnFor(image);
        } catch (error) {
          this.listener.startFailed?.((error as Error).message);
          break;
        }
      }
    }
    this.settleFirstReady();
    return ready;
  }

  get readyCount(): number {
    let count = 0;
    for (const worker of this.workers) if (worker.ready && !worker.retiring) count++;
    return count;
  }

  /** Bare workers waiting to be restarted after a failed start. */
  get restartsPending(): number {
    return this.restartTimers.size;
  }

  get size(): number {
    return this.options.size;
  }

  /**
   * Starts a worker for `image` ("" for none). Throws, with the reason, when a container for it cannot even be
   * launched (no runtime, an image file that does not exist, a path a runtime cannot mount).
   */
  spawnFor(image: string): WorkerProcess {
    const scratch = mkdtempSync(join(this.scratchRoot, 'worker-'));
    const accelerator = this.freeAccelerator();
    let worker: WorkerProcess;
    try {
      worker = new WorkerProcess(image === '' ? this.bareLaunch(scratch, accelerator) : this.containerLaunch(image, scratch, accelerator), this);
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
    worker.beforeWrite = this.beforeWrite;
    this.scratchOf.set(worker, scratch);
    if (accelerator !== undefined) this.acceleratorOf.set(worker, accelerator);
    this.workers.push(worker);
    return worker;
  }

  private freeAccelerator(): string | undefined {
    const ids = this.options.accelerators;
    if (!ids || ids.length === 0) return undefined;
    const held = new Set(this.acceleratorOf.values());
    return ids.find((id) => !held.has(id)) ?? ids[this.workers.length % ids.length];
  }

  /** The workers' environment settings, with the worker's accelerator pinned when it has one. */
  private envFor(accelerator: string | undefined) {
    const env = this.options.env;
    if (accelerator === undefined) return env;
    const pinned = Object.fromEntries(ACCELERATOR_VARIABLES.map((name) => [name, accelerator]));
    return { ...env, set: { ...env?.set, ...pinned } };
  }

  private bareLaunch(scratch: string, accelerator: string | undefined) {
    return workerLaunch({
      python: this.options.python,
      scratch,
      runtime: this.options.runtime,
      env: this.envFor(accelerator),
      daemonEnv: this.options.daemonEnv,
      rlimits: this.options.rlimits,
    });
  }

  private containerLaunch(image: string, scratch: string, accelerator: string | undefined) {
    const problem = this.containerProblem(image);
    if (problem) throw new Error(problem);
    const endpointId = this.options.containers?.endpointId ?? 'local';
    return containerLaunch({
      runtime: this.options.containers!.runtime!,
      image,
      scratch,
      name: `funcx-${endpointId.slice(0, 8)}-${randomBytes(6).toString('hex')}`,
      pidFile: `${scratch}.pid`,
      labels: { 'funcx.endpoint': endpointId },
      env: this.envFor(accelerator),
      daemonEnv: this.options.daemonEnv,
      rlimits: this.options.rlimits,
    });
  }

  reply(worker: WorkerProcess, reply: WorkerReply, lineLength: number): void {
    if (reply.t === 'ready') {
      if (worker.ready) return;
      worker.ready = true;
      worker.python = reply.python;
      worker.lastUsed = performance.now();
      worker.findContainerProcesses();
      if (worker.image === '') this.startFailures = 0;
      this.settleFirstReady();
      if (!this.stopping) this.listener.workerReady(worker);
      return;
    }
    if (!worker.ready) return worker.fail(`it sent a "${reply.t}" reply before saying it was ready`);
    this.listener.reply(worker, reply, lineLength);
  }

  private settleFirstReady(): void {
    if (!this.firstReady || !this.workers.every((other) => other.ready || other.exited)) return;
    const bare = this.defaultImage === '';
    if (bare && this.workers.length > 0 && this.workers.every((other) => other.exited)) return;
    this.firstReady.resolve();
    this.firstReady = undefined;
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
    const scratch = this.scratchOf.get(worker)!;
    rmSync(scratch, { recursive: true, force: true });
    if (worker.container) rmSync(`${scratch}.pid`, { force: true });
    this.removeContainer(worker);
    this.scratchOf.delete(worker);
    this.acceleratorOf.delete(worker);
    const replacement = worker.replacement;
    let startFailure: string | undefined;
    // The replacement is on its way before the owner hears of the exit, so it counts it as starting.
    if (!this.stopping) {
      const neverReady = worker.python === '' && !worker.killed;
      if (neverReady && worker.image === '') this.restartLater(worker, code, signal);
      else if (neverReady) {
        startFailure = this.startFailureOf(worker, code, signal);
        this.listener.startFailed?.(startFailure);
        // The slot it took goes back to the default image's warm workers (unless that image is what failed).
        if (worker.image !== this.defaultImage && this.hasRoomFor(this.defaultImage)) this.respawn(this.defaultImage);
      } else if (replacement !== undefined) this.respawn(replacement);
      else if (worker.python !== '' && !worker.idleStopped && worker.image === this.defaultImage && this.hasRoomFor(worker.image)) {
        this.respawn(worker.image);
      }
    }
    this.settleFirstReady();
    this.listener.workerExited(worker, code, signal, startFailure);
  }

  /**
   * A killed container may still be being cleaned up by the runtime's monitor after its client exited: the
   * runtime's own remove command waits for that (or does it), so once it returns the container and its mounts
   * are gone. Runs in the background; stop() waits for every one.
   */
  private removeContainer(worker: WorkerProcess): void {
    const command = worker.container?.detached ? worker.container.removeCommand : undefined;
    if (!command) return;
    const removal = new Promise<void>((resolve) => {
      const remove = spawn(command[0], command.slice(1), { stdio: 'ignore', env: worker.container!.env });
      remove.on('error', () => resolve());
      remove.on('exit', () => resolve());
    });
    this.removals.add(removal);
    void removal.then(() => this.removals.delete(removal));
  }

  private hasRoomFor(image: string): boolean {
    const alive = this.workers.length + this.restartTimers.size;
    if (alive >= this.options.size) return false;
    return image === '' || this.workers.filter((other) => other.image !== '').length < this.maxContainers;
  }

  private respawn(image: string): void {
    try {
      this.spawnFor(image);
    } catch (error) {
      this.listener.startFailed?.((error as Error).message);
    }
  }

  /** "the container for image X could not start (podman exit code 125): Error: …": the runtime's own words. */
  private startFailureOf(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): string {
    const said = worker.stderrTail.trim();
    const message = said.length > MAX_START_MESSAGE ? `…${said.slice(-MAX_START_MESSAGE)}` : said;
    const runtime = this.options.containers?.runtime?.binary ?? 'the runtime';
    return (
      `the container for image ${worker.image} could not start (${runtime} ${describeExit(code, signal)})` +
      (message ? `: ${message}` : '')
    );
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
      if (!this.stopping) this.spawnFor('');
    }, delay);
    this.restartTimers.add(timer);
  }

  /**
   * Replaces an idle worker: it is killed (its exit is reported as usual) and a fresh worker for `image` is
   * started in its slot (default: the same image, for another user).
   */
  recycle(worker: WorkerProcess, image = worker.image): void {
    worker.retiring = true;
    worker.replacement = image;
    worker.kill();
  }

  /** Stops containers idle for `idleMs` or longer; their slots stay free until a task needs one. */
  private stopIdle(idleMs: number): void {
    const now = performance.now();
    for (const worker of this.workers) {
      // A session's worker stays between its tasks: the session's own idle time releases it.
      if (worker.image === '' || !worker.ready || worker.retiring || worker.assigned.length > 0 || worker.session !== undefined) continue;
      if (now - worker.lastUsed < idleMs) continue;
      worker.idleStopped = true;
      worker.retiring = true;
      worker.kill();
    }
  }

  /** Stops every worker: SIGTERM, then the whole tree killed after a grace period. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.idleTimer);
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
    // A runtime that hangs (a lock held by a stuck process of its own) does not hold the endpoint's stop up.
    let removalTimer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.removals), new Promise((resolve) => (removalTimer = setTimeout(resolve, REMOVAL_WAIT_MS)))]);
    clearTimeout(removalTimer);
    if (this.ownsScratchRoot) rmSync(this.scratchRoot, { recursive: true, force: true });
  }
}
