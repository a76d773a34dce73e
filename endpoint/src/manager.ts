import {
  DEFAULT_SESSION_IDLE_S,
  MAX_RESULT_BYTES,
  encodeDefine,
  encodeDataAccess,
  encodeRun,
  nameProblem,
  type DispatchedTask,
  type EndpointLoad,
  type FinalTaskState,
  type FunctionCode,
  type StreamName,
  type TaskCompletion,
  type TaskOutput,
  type SessionStatus,
  type WorkerCompletionReply,
  type WorkerReply,
} from '@funcx/protocol';
import type { DataAccessSettings } from './data/daemon-data.js';
import { dataToken } from './data/data-token.js';
import { ManagerSessions } from './manager-sessions.js';
import { NO_LEDGER, type TaskLedger } from './ledger.js';
import { nowMs, type HeldTask, type TaskReporter } from './reporter.js';
import { resultTooLarge } from './result-size.js';
import { GUARD_INTERVAL_MS, TaskGuard, type GuardLimits } from './task-guard.js';
import { outputSize, outputLimitNote } from './output-limit.js';
import { TaskQueue } from './task-queue.js';
import { placeTask, type DispatchLimits } from './warm-dispatch.js';
import { warmImages } from './warm-images.js';
import { describeContainerExit, describeExit } from './worker-exit.js';
import { WorkerPool, type WorkerPoolListener, type WorkerPoolOptions } from './worker-pool.js';
import type { WorkerProcess } from './worker-process.js';
import { DEFAULT_MAX_PREFETCH, nextPrefetch } from './prefetch.js';

export interface TaskLimits extends GuardLimits {
  /** Output (printed text and displays) forwarded per task; past it one note is added and the rest dropped. */
  outputBytes?: number;
}

export interface ManagerOptions extends WorkerPoolOptions {
  /** Most tasks handed to one worker at once while its tasks are quick (1 = no prefetch). */
  maxPrefetch?: number;
  log?: (line: string) => void;
  /**
   * How long a task whose worker was killed by a SIGTERM this manager did not send waits before it fails with
   * WorkerDied (default OUTSIDE_SIGTERM_GRACE_MS): long enough for this manager to be told to stop too.
   */
  outsideSigtermGraceMs?: number;
  /** Ids of the functions this endpoint runs (config allowed_functions); undefined: any function. */
  allowedFunctions?: ReadonlySet<string>;
  /** Where allowed_functions is changed, for the error of a function it does not name. */
  configPath?: string;
  limits?: TaskLimits;
  ledger?: TaskLedger;
  /** A container could not start for `image` (the runtime's own message); tasks that needed it failed with it. */
  onContainerProblem?: (image: string, message: string) => void;
  /**
   * The state of a task waiting here for a worker: waiting-for-nodes when this manager is the endpoint's queue,
   * waiting-for-launch for a node's manager (the task has its node; it waits for a worker to launch it on).
   */
  queuedState?: 'waiting-for-nodes' | 'waiting-for-launch';
  /** The endpoint's data store: a worker gets its user's token when it is first given a task. */
  dataAccess?: DataAccessSettings;
  /** A session without a task this long is released (config session_idle_s, in ms). */
  sessionIdleMs?: number;
  /** A session was released here after its idle time: the daemon forgets it. */
  onSessionGone?: (owner: string, name: string, reason: string) => void;
  /** A session's status changed (its load is worth sending now). */
  onSessionsChanged?: () => void;
}

/**
 * A batch system ending a block (scancel, the walltime, preemption) sends SIGTERM to every process in it at
 * once, workers and their manager alike. A worker's SIGTERM is taken for the task's own doing (WorkerDied) only
 * if the manager is still running this long after: else the block went, and the daemon gives its tasks back to
 * the queue as it does for any block lost.
 */
export const OUTSIDE_SIGTERM_GRACE_MS = 2_000;

/** The ename of a task that could not get the container it needs; its evalue is why, in the runtime's words. */
export const CONTAINER_ERROR = 'ContainerError';

interface Entry extends HeldTask {
  /** The container image it runs in ("" for none). */
  image: string;
  worker?: WorkerProcess;
  timer?: NodeJS.Timeout;
  /** Its presence at a worker coincided with a daemon's death: it runs alone. */
  suspect?: boolean;
  outputBytes?: number;
  /** Its session's namespace was fresh again when it ran: why. */
  sessionRestarted?: string;
}


/**
 * One node's queue: tasks wait here for a worker, run one at a time per worker, and are reported as they move.
 * A worker serves one user and one image: once it has run a user's code it takes only that user's tasks, and it
 * runs only tasks of the image its container was started from ("" for none). Where a task goes is funcX's
 * warm-first policy (warm-dispatch.ts); tasks wait in one queue per image, so a task waiting for its image never
 * holds up another image's. A suspect (see crash-recovery.ts) runs alone: nothing else starts on this manager
 * until it ends.
 */
export class Manager implements WorkerPoolListener {
  readonly pool: WorkerPool;
  private readonly tasks = new Map<string, Entry>();
  private readonly functions = new Map<string, FunctionCode>();
  /** Waiting tasks by image; a queue is dropped once empty. */
  private readonly queues = new Map<string, TaskQueue<Entry>>();
  private queued = 0;
  private suspects: Entry[] = [];
  /** The suspect running alone, if one is. */
  private quarantined?: Entry;
  private stopping = false;
  private readonly maxPrefetch: number;
  private readonly log: (line: string) => void;
  private readonly ledger: TaskLedger;
  private readonly guard: TaskGuard;
  private guardTimer?: NodeJS.Timeout;
  /** What dispatch may use (warm-dispatch.ts); restartsPending is refreshed before each placement. */
  private readonly limits: DispatchLimits;
  private readonly queuedState: 'waiting-for-nodes' | 'waiting-for-launch';
  private readonly sessions: ManagerSessions<Entry>;

  constructor(
    private readonly options: ManagerOptions,
    private readonly reporter: TaskReporter,
  ) {
    this.maxPrefetch = Math.max(1, options.maxPrefetch ?? DEFAULT_MAX_PREFETCH);
    this.queuedState = options.queuedState ?? 'waiting-for-nodes';
    this.log = options.log ?? (() => {});
    this.ledger = options.ledger ?? NO_LEDGER;
    this.pool = new WorkerPool(options, this);
    this.limits = {
      slots: this.pool.size,
      maxContainers: this.pool.maxContainers,
      mode: options.containers?.mode ?? 'soft',
      restartsPending: 0,
    };
    this.pool.beforeWrite = () => this.ledger.flush();
    this.guard = new TaskGuard(options.limits ?? {}, (worker, ename, evalue) => this.stopRunning(worker, ename, evalue));
    this.sessions = new ManagerSessions<Entry>(
      {
        workers: () => this.pool.workers,
        limits: () => ((this.limits.restartsPending = this.pool.restartsPending), this.limits),
        spawnFor: (image) => this.pool.spawnFor(image),
        recycle: (worker) => this.pool.recycle(worker),
        own: (worker, owner) => this.own(worker, owner),
        assign: (entry, worker) => this.assign(entry, worker, nowMs()),
        fail: (entry, ename, evalue) => this.fail(entry, ename, evalue),
        output: (taskId, output) => this.reporter.output(taskId, output),
        gone: (owner, name, reason) => options.onSessionGone?.(owner, name, reason),
        changed: () => options.onSessionsChanged?.(),
      },
      options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_S * 1000,
    );
  }

  async start(): Promise<void> {
    await this.pool.start();
    if (this.guard.needed) {
      this.guardTimer = setInterval(() => this.guard.check(this.pool.workers), GUARD_INTERVAL_MS);
      this.guardTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.guardTimer);
    this.sessions.stop();
    for (const entry of this.tasks.values()) clearTimeout(entry.timer);
    await this.pool.stop();
  }

  /** Takes tasks (ids already held are ignored) with the code of functions not seen before. */
  submit(tasks: DispatchedTask[], functions: FunctionCode[] = []): void {
    for (const code of functions) this.functions.set(code.function_id, code);
    const now = nowMs();
    const since = performance.now();
    const allowed = this.options.allowedFunctions;
    for (const task of tasks) {
      if (this.tasks.has(task.task_id)) continue;
      const image = task.container_image || this.pool.defaultImage;
      const entry: Entry = { task, image, state: this.queuedState, timestamps: {}, since, done: false };
      this.tasks.set(task.task_id, entry);
      if (allowed && !allowed.has(task.function_id)) {
        this.fail(entry, 'FunctionNotPermitted', this.notPermitted(task.function_id));
        continue;
      }
      if (!this.functions.has(task.function_id)) {
        this.fail(entry, 'FunctionNotFound', `the code of function ${task.function_id} did not reach the endpoint`);
        continue;
      }
      if (image !== '') {
        const problem = nameProblem('image', image) ?? this.pool.containerProblem(image);
        if (problem) {
          this.containerFailed(entry, image, problem);
          continue;
        }
      }
      this.ledger.queued(task.task_id);
      if (task.session !== undefined) {
        // A session's tasks wait for its worker, one after another (manager-sessions.ts).
        entry.timestamps[this.queuedState] = now;
        this.reporter.stateChanged(entry);
        this.sessions.submit(entry);
        continue;
      }
      if (this.ledger.crashes(task.task_id) > 0) {
        entry.suspect = true;
        this.wait(entry, now, this.suspects);
        continue;
      }
      if (this.queued > 0 || this.quarantined !== undefined || this.suspects.length > 0 || !this.dispatch(entry, now)) {
        this.wait(entry, now, this.queueFor(image));
      }
    }
    if (this.queued > 0 || this.suspects.length > 0) this.schedule();
  }

  private queueFor(image: string): TaskQueue<Entry> {
    let queue = this.queues.get(image);
    if (!queue) this.queues.set(image, (queue = new TaskQueue()));
    return queue;
  }

  private notPermitted(functionId: string): string {
    const where = this.options.configPath ?? 'config.yaml';
    return (
      `function ${functionId} is not permitted on this endpoint: its owner allows only the functions listed in ` +
      `allowed_functions; add ${functionId} there (${where}) and restart the endpoint to allow it`
    );
  }

  private wait(entry: Entry, now: number, queue: TaskQueue<Entry> | Entry[]): void {
    entry.timestamps[this.queuedState] = now;
    queue.push(entry);
    if (queue !== this.suspects) this.queued++;
    this.reporter.stateChanged(entry);
  }

  /** Queued tasks are dropped, running ones stopped (their worker is replaced); each is reported cancelled. */
  cancel(taskIds: string[]): string[] {
    const cancelled: string[] = [];
    for (const id of taskIds) {
      const entry = this.tasks.get(id);
      if (!entry || entry.done) continue;
      const worker = entry.worker;
      if (!worker && !entry.suspect && entry.task.session === undefined) this.queued--;
      if (worker && worker.assigned[0] === id) this.sessions.stopping(worker, `its worker was stopped to cancel task ${id}`);
      this.settle(entry, 'cancelled');
      cancelled.push(id);
      // A prefetched task still runs, and its reply is ignored; the running one is stopped now, with its tree.
      if (worker && worker.assigned[0] === id) worker.kill();
    }
    if (cancelled.length > 0) this.schedule();
    return cancelled;
  }

  /** Ends these sessions of their users; returns the names of those it held. */
  endSessions(sessions: { owner: string; name: string }[]): string[] {
    return this.sessions.end(sessions);
  }

  sessionStatus(): SessionStatus[] {
    return this.sessions.status();
  }

  /** Ids of every task this manager holds (queued or at a worker). */
  held(): string[] {
    return [...this.tasks.keys()];
  }

  load(): EndpointLoad {
    let busy = 0;
    let atWorkers = 0;
    let running = 0;
    for (const worker of this.pool.workers) {
      if (worker.assigned.length > 0) running++;
      // A worker kept for a session is taken, even between its tasks.
      if (worker.assigned.length > 0 || (worker.session !== undefined && worker.ready)) busy++;
      atWorkers += worker.assigned.length;
    }
    return {
      workers_total: this.pool.readyCount,
      workers_busy: busy,
      queued: this.queued + this.suspects.length + this.sessions.queued + atWorkers - running,
      running,
      warm_images: warmImages(this.pool.workers),
    };
  }

  // ---- scheduling ----

  /**
   * Hands the task to a worker if one may take it now (warm-dispatch.ts): a warm one, or a container started for
   * it; otherwise starts or frees a worker for it and returns false (it waits). A container that cannot even be
   * launched fails the task, which counts as handled.
   */
  private dispatch(entry: Entry, now: number): boolean {
    const { image } = entry;
    this.limits.restartsPending = this.pool.restartsPending;
    const placement = placeTask(image, entry.task.owner, this.pool.workers, this.limits);
    switch (placement.action) {
      case 'run':
        this.assign(entry, placement.worker, now);
        return true;
      case 'start': {
        let worker: WorkerProcess;
        try {
          worker = this.pool.spawnFor(image);
        } catch (error) {
          this.containerFailed(entry, image, (error as Error).message);
          return true;
        }
        // A container starts with its first task: the start is that task's waiting-for-launch.
        if (image === '') return false;
        this.assign(entry, worker, now);
        return true;
      }
      case 'repurpose':
        this.pool.recycle(placement.worker, image);
        return false;
      case 'wait':
        return false;
    }
  }

  private schedule(): void {
    if (this.stopping || this.quarantined) return;
    if (this.suspects.length > 0) return this.scheduleSuspect();
    // Round robin over the images: each queue's head in turn, so one image's burst does not take every slot
    // that frees while another image waits.
    let progress = true;
    while (progress && this.queued > 0) {
      progress = false;
      for (const [image, queue] of this.queues) {
        const entry = queue.peek();
        if (!entry) {
          this.queues.delete(image);
          continue;
        }
        // Out of the queue while it is dispatched, so failing its image's other tasks does not count it twice.
        queue.shift();
        this.queued--;
        if (this.dispatch(entry, nowMs())) progress = true;
        else {
          queue.unshift(entry);
          this.queued++;
        }
      }
    }
  }

  /** A suspect waits until no worker holds a task, then runs alone. */
  private scheduleSuspect(): void {
    while (this.suspects.length > 0 && this.suspects[0].done) this.suspects.shift();
    const entry = this.suspects[0];
    if (!entry) return this.schedule();
    if (this.pool.workers.some((worker) => worker.assigned.length > 0)) return;
    if (!this.dispatch(entry, nowMs())) return;
    this.suspects.shift();
    if (entry.done) return this.scheduleSuspect();
    this.quarantined = entry;
    this.log(`task ${entry.task.task_id} was at a worker when an earlier daemon died: it runs alone`);
  }

  private assign(entry: Entry, worker: WorkerProcess, now: number): void {
    const task = entry.task;
    entry.state = 'waiting-for-launch';
    // Where waiting here is already waiting-for-launch, it began when the task reached this manager.
    if (this.queuedState !== 'waiting-for-launch' || entry.timestamps['waiting-for-launch'] === undefined) {
      entry.timestamps['waiting-for-launch'] = now;
    }
    entry.since = performance.now();
    entry.worker = worker;
    if (worker.owner === undefined) this.own(worker, task.owner);
    this.ledger.atWorker(task.task_id);
    if (!worker.functions.has(task.function_id)) {
      worker.send(encodeDefine(this.functions.get(task.function_id)!));
      worker.functions.add(task.function_id);
    }
    worker.send(encodeRun(task));
    worker.assigned.push(task.task_id);
    worker.lastUsed = entry.since;
    // A task's timeout counts from when it reaches the front of a running worker, not from a container's start.
    if (worker.assigned.length === 1 && worker.ready) this.armTimeout(entry);
    this.reporter.stateChanged(entry);
  }

  /** A worker's first user, for good (a session's worker gets it when bound): its token for the data store. */
  private own(worker: WorkerProcess, owner: string): void {
    worker.owner = owner;
    const data = this.options.dataAccess;
    if (data) worker.send(encodeDataAccess(data.address, dataToken(Buffer.from(data.secret, 'hex'), owner), data.result_threshold_bytes));
  }

  private armTimeout(entry: Entry): void {
    const seconds = entry.task.timeout_s;
    if (!seconds || entry.timer || entry.done) return;
    entry.timer = setTimeout(() => {
      if (entry.done) return;
      const worker = entry.worker;
      if (worker) this.sessions.stopping(worker, `its worker was stopped when task ${entry.task.task_id} timed out after ${seconds} s`);
      this.fail(entry, 'TimeoutError', `timed out after ${seconds} s`);
      worker?.kill();
    }, seconds * 1000);
  }

  /** Fails the worker's running task and kills the worker with everything it started. */
  private stopRunning(worker: WorkerProcess, ename: string, evalue: string): void {
    const entry = this.tasks.get(worker.assigned[0]);
    this.sessions.stopping(worker, `its worker was stopped (${ename}: ${evalue})`);
    if (entry && !entry.done) this.fail(entry, ename, evalue);
    worker.kill();
  }

  // ---- what workers report ----

  workerReady(worker: WorkerProcess): void {
    this.guard.workerReady(worker);
    this.sessions.workerReady(worker);
    const first = worker.assigned[0];
    if (first !== undefined) {
      const entry = this.tasks.get(first);
      if (entry) this.armTimeout(entry);
    }
    this.schedule();
  }

  protocolError(worker: WorkerProcess, reason: string): void {
    this.log(`worker ${worker.pid} sent a malformed reply (${reason}); replacing it`);
    this.stopRunning(worker, 'WorkerProtocolError', `the worker running this task broke its protocol (${reason}); it was replaced`);
  }

  reply(worker: WorkerProcess, reply: Exclude<WorkerReply, { t: 'ready' }>, lineLength: number): void {
    switch (reply.t) {
      case 'ok':
      case 'err':
        this.complete(worker, reply, lineLength);
        return;
      case 's': {
        const entry = this.tasks.get(reply.i);
        if (!entry || entry.done || entry.worker !== worker) return;
        const streams = reply.g === true && !entry.streams;
        if (entry.state === 'running' && !streams) return;
        if (streams) entry.streams = true;
        if (entry.state !== 'running') {
          entry.state = 'running';
          entry.timestamps.running = reply.ts;
          entry.since = performance.now();
        }
        this.reporter.stateChanged(entry);
        return;
      }
      case 'o':
        this.output(worker, reply.i, { output_type: 'stream', name: reply.n, text: reply.x });
        return;
      case 'd':
        this.output(worker, reply.i, { output_type: 'display_data', data: reply.data, metadata: reply.md });
        return;
    }
  }

  stdio(worker: WorkerProcess, name: StreamName, text: string): void {
    // What a container's runtime says while it starts is not the task's output (a failed start quotes it).
    if (!worker.ready) return;
    this.output(worker, null, { output_type: 'stream', name, text });
  }

  /** Output goes to the task it names if this worker holds that task, else to the worker's running task. */
  private output(worker: WorkerProcess, taskId: string | null, output: TaskOutput): void {
    const named = taskId === null ? undefined : this.tasks.get(taskId);
    const entry = named && named.worker === worker ? named : this.tasks.get(worker.assigned[0]);
    if (!entry || entry.done) {
      if (output.output_type === 'stream') this.log(`worker ${worker.pid} ${output.name} (no task running): ${output.text.trimEnd()}`);
      return;
    }
    const limit = this.options.limits?.outputBytes;
    if (limit !== undefined) {
      const before = entry.outputBytes ?? 0;
      if (before > limit) return;
      entry.outputBytes = before + outputSize(output);
      if (entry.outputBytes > limit) {
        this.reporter.output(entry.task.task_id, outputLimitNote(limit));
        return;
      }
    }
    this.reporter.output(entry.task.task_id, output);
  }

  private complete(worker: WorkerProcess, reply: WorkerCompletionReply, lineLength: number): void {
    const id = reply.i;
    const index = worker.assigned[0] === id ? 0 : worker.assigned.indexOf(id);
    if (index === -1) {
      if (!worker.exited) worker.fail(`it reported the end of task ${id}, which it does not hold`);
      return;
    }
    if (index === 0) worker.assigned.shift();
    else worker.assigned.splice(index, 1);
    if (worker.assigned.length === 0) worker.lastUsed = performance.now();
    if (worker.assigned.length === 0 && worker.session === undefined) this.sessions.wake();
    const ran = reply.ts1 - reply.ts0;
    worker.limit = nextPrefetch(worker.limit, ran, this.maxPrefetch);
    const entry = this.tasks.get(id);
    if (entry && !entry.done) {
      clearTimeout(entry.timer);
      const timestamps = entry.timestamps;
      timestamps.running ??= reply.ts0;
      const tooLarge = lineLength > MAX_RESULT_BYTES ? resultTooLarge(reply) : undefined;
      if (tooLarge) {
        this.fail(entry, 'ResultTooLarge', tooLarge);
      } else if (reply.t === 'ok') {
        timestamps.success = reply.ts1;
        this.finish(entry, { task_id: id, state: 'success', timestamps, result: reply.r });
      } else {
        timestamps.failed = reply.ts1;
        this.finish(entry, { task_id: id, state: 'failed', timestamps, error: reply.e });
      }
    }
    const next = worker.assigned[0];
    if (next !== undefined) {
      const nextEntry = this.tasks.get(next);
      if (nextEntry) this.armTimeout(nextEntry);
    }
    this.schedule();
  }

  workerExited(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null, startFailure?: string): void {
    const [head, ...rest] = worker.assigned.splice(0);
    if (this.stopping) return;
    if (startFailure !== undefined) {
      // The container never ran: what it held, and what waits for its image, fails with the runtime's reason.
      for (const id of [head, ...rest]) {
        const entry = id === undefined ? undefined : this.tasks.get(id);
        if (entry && !entry.done) this.fail(entry, CONTAINER_ERROR, startFailure);
      }
      this.failWaiting(worker.image, startFailure);
      this.options.onContainerProblem?.(worker.image, startFailure);
      this.sessions.workerExited(worker, startFailure);
      return this.schedule();
    }
    const running = head === undefined ? undefined : this.tasks.get(head);
    const how = worker.container ? describeContainerExit(code, signal) : describeExit(code, signal);
    if (running && !running.done) {
      const fail = () => {
        if (!this.stopping && !running.done) this.fail(running, 'WorkerDied', `worker died (${how})`);
      };
      if (signal === 'SIGTERM') setTimeout(fail, this.options.outsideSigtermGraceMs ?? OUTSIDE_SIGTERM_GRACE_MS).unref();
      else fail();
    }
    this.sessions.workerExited(worker, how);
    this.sessions.wake();
    const now = nowMs();
    for (let i = rest.length - 1; i >= 0; i--) {
      const entry = this.tasks.get(rest[i]);
      if (!entry || entry.done) continue;
      entry.worker = undefined;
      entry.state = this.queuedState;
      entry.timestamps[this.queuedState] ??= now;
      entry.since = performance.now();
      this.ledger.queued(entry.task.task_id);
      this.queueFor(entry.image).unshift(entry);
      this.queued++;
      this.reporter.stateChanged(entry);
    }
    this.schedule();
  }

  startFailed(message: string): void {
    this.log(message);
  }

  // ---- endings ----

  /** The task cannot get a container for `image`: it fails with why, and so does every task waiting for that image. */
  private containerFailed(entry: Entry, image: string, message: string): void {
    this.fail(entry, CONTAINER_ERROR, message);
    this.failWaiting(image, message);
    this.log(`task ${entry.task.task_id}: ${message}`);
    this.options.onContainerProblem?.(image, message);
  }

  private failWaiting(image: string, message: string): void {
    const queue = this.queues.get(image);
    if (!queue) return;
    for (const waiting of queue.drain()) {
      this.queued--;
      this.fail(waiting, CONTAINER_ERROR, message);
    }
    this.queues.delete(image);
  }

  private fail(entry: Entry, ename: string, evalue: string): void {
    entry.timestamps.failed = nowMs();
    this.finish(entry, {
      task_id: entry.task.task_id,
      state: 'failed',
      timestamps: entry.timestamps,
      error: { ename, evalue, traceback: [`${ename}: ${evalue}`] },
    });
  }

  private settle(entry: Entry, state: FinalTaskState): void {
    entry.timestamps[state] = nowMs();
    this.finish(entry, { task_id: entry.task.task_id, state, timestamps: entry.timestamps });
  }

  private finish(entry: Entry, completion: TaskCompletion): void {
    clearTimeout(entry.timer);
    entry.done = true;
    entry.state = completion.state;
    this.tasks.delete(entry.task.task_id);
    this.ledger.ended(entry.task.task_id);
    if (this.quarantined === entry) this.quarantined = undefined;
    if (entry.task.session !== undefined) {
      if (entry.sessionRestarted !== undefined) completion.session_restarted = entry.sessionRestarted;
      this.sessions.finished(entry);
    }
    if (entry.streams) completion.streams = true;
    this.reporter.done(completion);
  }
}
