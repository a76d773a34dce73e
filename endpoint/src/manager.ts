import {
  MAX_RESULT_BYTES,
  type DispatchedTask,
  type EndpointLoad,
  type FinalTaskState,
  type FunctionCode,
  type StreamName,
  type TaskCompletion,
} from '@funcx/protocol';
import { nowMs, type HeldTask, type TaskReporter } from './reporter.js';
import { describeExit, WorkerPool, type WorkerPoolListener, type WorkerPoolOptions } from './worker-pool.js';
import type { WorkerProcess, WorkerReply } from './worker-process.js';

export interface ManagerOptions extends WorkerPoolOptions {
  /** Most tasks handed to one worker at once while its tasks are quick (1 = no prefetch). */
  maxPrefetch?: number;
  log?: (line: string) => void;
}

interface Entry extends HeldTask {
  worker?: WorkerProcess;
  timer?: NodeJS.Timeout;
}

/** A task that ran at most this long lets its worker take twice as many tasks at once; a slower one resets it to 1. */
const QUICK_TASK_MS = 2;
/**
 * Work handed to a worker ahead of time is bounded by this many milliseconds of tasks as long as the last one,
 * so tiny tasks go out (and come back) in large batches while a task queued behind a slow one waits little.
 */
const PREFETCH_WORK_MS = 4;
const DEFAULT_MAX_PREFETCH = 256;

/** One node's queue: tasks wait here for a worker, run one at a time per worker, and are reported as they move. */
export class Manager implements WorkerPoolListener {
  readonly pool: WorkerPool;
  private readonly tasks = new Map<string, Entry>();
  private readonly functions = new Map<string, FunctionCode>();
  private queue: Entry[] = [];
  private queueHead = 0;
  private queued = 0;
  private stopping = false;
  private readonly maxPrefetch: number;
  private readonly log: (line: string) => void;

  constructor(
    options: ManagerOptions,
    private readonly reporter: TaskReporter,
  ) {
    this.maxPrefetch = Math.max(1, options.maxPrefetch ?? DEFAULT_MAX_PREFETCH);
    this.log = options.log ?? (() => {});
    this.pool = new WorkerPool(options, this);
  }

  start(): Promise<void> {
    return this.pool.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const entry of this.tasks.values()) clearTimeout(entry.timer);
    await this.pool.stop();
  }

  /** Takes tasks (ids already held are ignored) with the code of functions not seen before. */
  submit(tasks: DispatchedTask[], functions: FunctionCode[] = []): void {
    for (const code of functions) this.functions.set(code.function_id, code);
    const now = nowMs();
    const since = performance.now();
    for (const task of tasks) {
      if (this.tasks.has(task.task_id)) continue;
      const entry: Entry = { task, state: 'waiting-for-nodes', timestamps: {}, since, done: false };
      this.tasks.set(task.task_id, entry);
      if (!this.functions.has(task.function_id)) {
        this.fail(entry, 'FunctionNotFound', `the code of function ${task.function_id} did not reach the endpoint`);
        continue;
      }
      const worker = this.queued === 0 ? this.pickWorker() : undefined;
      if (worker) {
        this.assign(entry, worker, now);
      } else {
        entry.timestamps['waiting-for-nodes'] = now;
        this.queue.push(entry);
        this.queued++;
        this.reporter.stateChanged(entry);
      }
    }
  }

  /** Queued tasks are dropped, running ones stopped (their worker is replaced); each is reported cancelled. */
  cancel(taskIds: string[]): string[] {
    const cancelled: string[] = [];
    for (const id of taskIds) {
      const entry = this.tasks.get(id);
      if (!entry || entry.done) continue;
      const worker = entry.worker;
      if (!worker) this.queued--;
      this.settle(entry, 'cancelled');
      cancelled.push(id);
      // A prefetched task still runs, and its reply is ignored; the running one is stopped now.
      if (worker && worker.assigned[0] === id) worker.kill();
    }
    return cancelled;
  }

  /** Ids of every task this manager holds (queued or at a worker). */
  held(): string[] {
    return [...this.tasks.keys()];
  }

  load(): EndpointLoad {
    let busy = 0;
    let atWorkers = 0;
    for (const worker of this.pool.workers) {
      if (worker.assigned.length > 0) busy++;
      atWorkers += worker.assigned.length;
    }
    return {
      workers_total: this.pool.readyCount,
      workers_busy: busy,
      queued: this.queued + atWorkers - busy,
      running: busy,
      warm_images: [],
    };
  }

  // ---- scheduling ----

  private pickWorker(): WorkerProcess | undefined {
    let best: WorkerProcess | undefined;
    for (const worker of this.pool.workers) {
      if (!worker.ready || worker.assigned.length >= worker.limit) continue;
      if (!best || worker.assigned.length < best.assigned.length) best = worker;
    }
    return best;
  }

  private schedule(): void {
    if (this.stopping) return;
    while (this.queued > 0) {
      const worker = this.pickWorker();
      if (!worker) return;
      const entry = this.dequeue();
      if (!entry) return;
      this.assign(entry, worker, nowMs());
    }
  }

  private dequeue(): Entry | undefined {
    while (this.queueHead < this.queue.length) {
      const entry = this.queue[this.queueHead++];
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      if (!entry.done) {
        this.queued--;
        return entry;
      }
    }
    return undefined;
  }

  private assign(entry: Entry, worker: WorkerProcess, now: number): void {
    const task = entry.task;
    entry.state = 'waiting-for-launch';
    entry.timestamps['waiting-for-launch'] = now;
    entry.since = performance.now();
    entry.worker = worker;
    if (!worker.functions.has(task.function_id)) {
      const code = this.functions.get(task.function_id)!;
      worker.send(JSON.stringify({ t: 'f', f: code.function_id, s: code.source, e: code.entrypoint ?? null }));
      worker.functions.add(task.function_id);
    }
    worker.send(JSON.stringify({ t: 'r', i: task.task_id, f: task.function_id, a: task.args, k: task.kwargs }));
    worker.assigned.push(task.task_id);
    if (worker.assigned.length === 1) this.armTimeout(entry);
    this.reporter.stateChanged(entry);
  }

  private armTimeout(entry: Entry): void {
    const seconds = entry.task.timeout_s;
    if (!seconds || entry.timer || entry.done) return;
    entry.timer = setTimeout(() => {
      if (entry.done) return;
      const worker = entry.worker;
      this.fail(entry, 'TimeoutError', `timed out after ${seconds} s`);
      worker?.kill();
    }, seconds * 1000);
  }

  // ---- what workers report ----

  workerReady(): void {
    this.schedule();
  }

  reply(worker: WorkerProcess, reply: Exclude<WorkerReply, { t: 'ready' }>, lineLength: number): void {
    switch (reply.t) {
      case 'ok':
      case 'err':
        this.complete(worker, reply, lineLength);
        return;
      case 's': {
        const entry = this.tasks.get(reply.i);
        if (entry && !entry.done && entry.state !== 'running') {
          entry.state = 'running';
          entry.timestamps.running = reply.ts;
          entry.since = performance.now();
          this.reporter.stateChanged(entry);
        }
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
    this.output(worker, null, { output_type: 'stream', name, text });
  }

  private output(worker: WorkerProcess, taskId: string | null, output: Parameters<TaskReporter['output']>[1]): void {
    const id = taskId ?? worker.assigned[0];
    const entry = id === undefined ? undefined : this.tasks.get(id);
    if (entry && !entry.done) {
      this.reporter.output(entry.task.task_id, output);
    } else if (output.output_type === 'stream') {
      this.log(`worker ${worker.pid} ${output.name} (no task running): ${output.text.trimEnd()}`);
    }
  }

  private complete(
    worker: WorkerProcess,
    reply: Extract<WorkerReply, { t: 'ok' | 'err' }>,
    lineLength: number,
  ): void {
    const id = reply.i;
    if (worker.assigned[0] === id) worker.assigned.shift();
    else {
      const index = worker.assigned.indexOf(id);
      if (index !== -1) worker.assigned.splice(index, 1);
    }
    const ran = reply.ts1 - reply.ts0;
    worker.limit = ran <= QUICK_TASK_MS ? Math.max(1, Math.min(this.maxPrefetch, worker.limit * 2, Math.floor(PREFETCH_WORK_MS / ran))) : 1;
    const entry = this.tasks.get(id);
    if (entry && !entry.done) {
      clearTimeout(entry.timer);
      const timestamps = entry.timestamps;
      timestamps.running ??= reply.ts0;
      if (lineLength > MAX_RESULT_BYTES) {
        this.fail(
          entry,
          'ResultTooLarge',
          `the result is ${(lineLength / 1e6).toFixed(1)} MB; the limit is ${MAX_RESULT_BYTES / 1e6} MB`,
        );
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

  workerExited(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const [head, ...rest] = worker.assigned.splice(0);
    if (this.stopping) return;
    const running = head === undefined ? undefined : this.tasks.get(head);
    if (running && !running.done) this.fail(running, 'WorkerDied', `worker died (${describeExit(code, signal)})`);
    const now = nowMs();
    for (let i = rest.length - 1; i >= 0; i--) {
      const entry = this.tasks.get(rest[i]);
      if (!entry || entry.done) continue;
      entry.worker = undefined;
      entry.state = 'waiting-for-nodes';
      entry.timestamps['waiting-for-nodes'] ??= now;
      entry.since = performance.now();
      if (this.queueHead > 0) this.queue[--this.queueHead] = entry;
      else this.queue.unshift(entry);
      this.queued++;
      this.reporter.stateChanged(entry);
    }
    this.schedule();
  }

  startFailed(message: string): void {
    this.log(message);
  }

  // ---- endings ----

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
    this.reporter.done(completion);
  }
}
