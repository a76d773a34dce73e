import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  MAX_RESULT_BYTES,
  WASM_PAGE_BYTES,
  type DispatchedTask,
  type FunctionCode,
  type IsolationLevel,
  type TaskCompletion,
  type TaskError,
} from '@funcx/protocol';
import type { LogLevel } from '../log.js';
import { nextPrefetch } from '../prefetch.js';
import { nowMs, type HeldTask, type TaskReporter } from '../reporter.js';
import { WASM_ERRORS, type ToWasmThread, type WasmRunMessage, type WasmThreadReply } from './wasm-messages.js';
import { THREAD_HEAP_MB, WasmThreadHandle, type WasmThreadEvents } from './wasm-thread-handle.js';
import { WasmModules } from './wasm-modules.js';

export interface WasmRunnerOptions {
  /** Warm threads. */
  threads: number;
  /** Cap on each instance's memory, MiB. */
  memoryMb: number;
  /** Longest a task runs, seconds (a task's shorter timeout_s applies). */
  timeLimitS: number;
  /** The manager's scratch directory: tasks get empty directories under it. */
  scratchRoot: string;
  outputBytes?: number;
  /** Threads load Pyodide and run Python with isolation "wasm" (and every Python task, with isolation "wasm" here). */
  pyodide: boolean;
  isolation: IsolationLevel;
  log: (level: LogLevel, line: string) => void;
}

/**
 * Most wasm tasks a thread may hold at once (the ones after the first wait in its message queue, so it goes from
 * one to the next without a round trip). As for Python workers (prefetch.ts), a thread whose tasks are quick may
 * hold more, and a slow task brings it back to one, so little waits behind a slow task; a Python task goes alone.
 */
const PREFETCH_PER_THREAD = 32;
/** How often the threads' running tasks are checked against their time limits. */
const WATCHDOG_MS = 50;
type Slot = WasmThreadHandle<WasmEntry>;

interface WasmEntry extends HeldTask {
  python: boolean;
  slot?: Slot;
  /** Its number in its thread. */
  seq?: number;
}

/**
 * A manager's WebAssembly pool: warm worker threads (wasm-thread.ts) that run wasm functions, each task in a
 * fresh instance of its module, and, with Pyodide, Python functions whose isolation is "wasm". It sits beside
 * the manager's Python workers as the MPI runner does (manager-node.ts hands it the tasks it takes). A task past
 * its time limit (counted from when it reaches the front of its thread), and a cancelled running task, stop by
 * terminating the thread, which is replaced; the tasks queued behind it go back to the front of the queue. A trap
 * or out-of-memory fails only its task.
 */
export class WasmRunner {
  private readonly codes = new Map<string, FunctionCode>();
  private readonly entries = new Map<string, WasmEntry>();
  private readonly queue: WasmEntry[] = [];
  private readonly slots: Slot[] = [];
  private readonly modules: WasmModules;
  private readonly scratch: string;
  private stopping = false;
  private pyodideProblem?: string;
  /** Checks running tasks' time limits while any thread holds a task. */
  private watchdog?: NodeJS.Timeout;
  private readonly threadEvents: WasmThreadEvents<WasmEntry> = {
    ready: () => {},
    failed: (_thread, reason) => {
      this.pyodideProblem ??= reason;
      this.options.log('error', reason);
      this.failWaitingPython();
    },
    reply: (thread, reply) => this.reply(thread, reply),
    settled: () => this.pump(),
    stopped: (thread, how) => this.threadFailed(thread, how),
  };

  constructor(
    private readonly options: WasmRunnerOptions,
    private readonly reporter: TaskReporter,
  ) {
    this.modules = new WasmModules(Math.floor((options.memoryMb * 2 ** 20) / WASM_PAGE_BYTES));
    this.scratch = join(options.scratchRoot, 'wasm');
  }

  /** Starts the threads; resolves once those without Pyodide are ready (Pyodide loads meanwhile, tasks wait for it). */
  async start(): Promise<void> {
    mkdirSync(this.scratch, { recursive: true, mode: 0o700 });
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.options.threads; i++) ready.push(this.spawn());
    if (!this.options.pyodide) await Promise.all(ready);
  }

  stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    return Promise.all(this.slots.map((slot) => slot.terminate())).then(() => undefined);
  }

  get held(): number {
    return this.entries.size;
  }

  get running(): number {
    return this.slots.filter((slot) => slot.assigned.length > 0).length;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Tasks it wants to hold: PREFETCH_PER_THREAD for each thread, once any thread is ready. */
  get capacity(): number {
    return this.slots.some((slot) => slot.ready) ? this.options.threads * PREFETCH_PER_THREAD * 2 : 0;
  }

  define(functions: FunctionCode[]): void {
    for (const code of functions) {
      if (code.language === 'wasm') {
        this.codes.set(code.function_id, code);
        if (this.options.threads > 0) void this.modules.prepare(code);
      } else if (this.options.pyodide || code.isolation === 'wasm') {
        this.codes.set(code.function_id, code);
      }
    }
  }

  /**
   * Whether the task is this pool's: a wasm function, or Python that must run in WebAssembly (its isolation, or
   * the endpoint's). Such a task never goes to a Python worker: where this pool cannot run it, it fails here.
   */
  takes(task: DispatchedTask): boolean {
    const code = this.codes.get(task.function_id);
    if (!code) return false;
    if (code.language === 'wasm' || code.isolation === 'wasm') return true;
    return this.options.pyodide && this.options.isolation === 'wasm';
  }

  /** Why this endpoint cannot run the task here, or undefined. */
  private unsupported(entry: WasmEntry): string | undefined {
    if (!entry.python && this.options.threads === 0) {
      return 'this endpoint runs no wasm functions (wasm_threads: 0 in its config.yaml); send the task to another endpoint';
    }
    if (entry.python && !this.options.pyodide) {
      return 'the function asks for isolation "wasm" and this endpoint does not run Python in WebAssembly (pyodide: true in its config.yaml); it is never run in a process instead';
    }
    return entry.python ? this.pyodideProblem : undefined;
  }

  submit(tasks: DispatchedTask[]): void {
    for (const task of tasks) {
      if (this.entries.has(task.task_id)) continue;
      const code = this.codes.get(task.function_id)!;
      const now = nowMs();
      const entry: WasmEntry = {
        task,
        state: 'waiting-for-launch',
        timestamps: { 'waiting-for-launch': now },
        since: performance.now(),
        done: false,
        python: code.language !== 'wasm',
      };
      this.entries.set(task.task_id, entry);
      if (!entry.python && Object.keys(task.kwargs).length > 0) {
        this.fail(entry, WASM_ERRORS.badArguments, `a wasm function takes positional arguments only; the task gave keyword arguments (${Object.keys(task.kwargs).slice(0, 5).join(', ')})`);
        continue;
      }
      const problem = this.unsupported(entry);
      if (problem) {
        this.fail(entry, WASM_ERRORS.module, problem);
        continue;
      }
      this.queue.push(entry);
      this.reporter.stateChanged(entry);
      if (!entry.python) void this.modules.prepare(code).then(() => this.pump());
    }
    this.pump();
  }

  cancel(taskIds: string[]): void {
    for (const id of taskIds) {
      const entry = this.entries.get(id);
      if (!entry || entry.done) continue;
      const slot = entry.slot;
      this.finish(entry, { task_id: id, state: 'cancelled', timestamps: { ...entry.timestamps, cancelled: nowMs() } });
      // The running one is stopped with its thread (what it held besides goes back to the queue, the tasks it
      // finished but had not reported yet included); one it finished or has not started yet is left, its result dropped.
      if (slot && slot.runningIndex() === slot.assigned.indexOf(entry)) this.replace(slot, slot.assigned.filter((held) => held !== entry));
    }
    this.pump();
  }

  // ---- threads ----

  /** A new thread; resolves once it is ready, or could not start. */
  private spawn(): Promise<void> {
    const data = { scratchRoot: this.scratch, pyodide: this.options.pyodide, ...(this.options.outputBytes !== undefined ? { outputBytes: this.options.outputBytes } : {}) };
    return new Promise<void>((resolve) => {
      const events: WasmThreadEvents<WasmEntry> = {
        ...this.threadEvents,
        ready: () => resolve(),
        failed: (thread, reason) => {
          resolve();
          this.threadEvents.failed(thread, reason);
        },
        stopped: (thread, how) => {
          resolve();
          this.threadEvents.stopped(thread, how);
        },
      };
      this.slots.push(new WasmThreadHandle<WasmEntry>(data, events));
    });
  }

  /**
   * Terminates a thread and starts another in its place; `again` (by default what it held behind its first task)
   * goes back to the front of the queue.
   */
  private replace(slot: Slot, again = slot.assigned.slice(1)): void {
    if (slot.retired) return;
    this.requeue(again);
    slot.assigned = [];
    this.remove(slot);
    void slot.terminate();
    if (!this.stopping) void this.spawn();
  }

  private requeue(entries: WasmEntry[]): void {
    const waiting = entries.filter((entry) => !entry.done);
    for (const entry of waiting) {
      entry.slot = undefined;
      entry.state = 'waiting-for-launch';
      delete entry.timestamps.running;
    }
    this.queue.unshift(...waiting);
  }

  private remove(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
  }

  private threadFailed(slot: Slot, how: string): void {
    if (slot.retired) return;
    slot.retired = true;
    this.remove(slot);
    // The task it was running fails; the rest it held (finished but not reported, or not started) runs again.
    const index = slot.runningIndex();
    const entry = index >= 0 ? slot.assigned[index] : undefined;
    this.requeue(slot.assigned.filter((held) => held !== entry));
    slot.assigned = [];
    if (entry && !entry.done) {
      const heap = /memory|ERR_WORKER_OUT_OF_MEMORY/i.test(how) ? ` (its JavaScript heap is limited to ${THREAD_HEAP_MB} MiB)` : '';
      this.fail(entry, 'WasmThreadDied', `the WebAssembly thread running this task stopped (${how})${heap}; it was replaced`);
    }
    if (this.stopping) return;
    this.options.log('warn', `a WebAssembly thread stopped (${how}); starting another`);
    if (!this.pyodideProblem || !this.options.pyodide) void this.spawn();
  }

  // ---- scheduling ----

  private pump(): void {
    if (this.stopping) return;
    this.place();
    for (const slot of this.slots) slot.flush();
  }

  private place(): void {
    for (let i = 0; i < this.queue.length; ) {
      const entry = this.queue[i];
      if (entry.done) {
        this.queue.splice(i, 1);
        continue;
      }
      if (!entry.python) {
        const compiled = this.modules.get(entry.task.function_id);
        if (!compiled) {
          i++;
          continue;
        }
        if ('problem' in compiled) {
          this.queue.splice(i, 1);
          this.fail(entry, WASM_ERRORS.module, compiled.problem);
          continue;
        }
      }
      const slot = this.freeSlot(entry);
      if (!slot) {
        if (this.slots.every((candidate) => !candidate.ready || candidate.assigned.length >= candidate.limit)) return;
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.assign(entry, slot);
    }
  }

  /**
   * A thread for the task: for a module, the ready one holding fewest (below its limit) that runs no Python and
   * whose interpreter, if it ran one user's Python, is the task's user's (a module cannot reach the thread's
   * JavaScript, but that user's code may have); Python goes alone to an idle thread of its user, else an unused
   * one, else one recycled for it.
   */
  private freeSlot(entry: WasmEntry): Slot | undefined {
    const ready = this.slots.filter((slot) => slot.ready && !slot.retired);
    if (!entry.python) {
      let best: Slot | undefined;
      for (const slot of ready) {
        const held = slot.assigned.length;
        if (held >= slot.limit || (held > 0 && slot.assigned[0].python)) continue;
        if (slot.owner !== undefined && slot.owner !== entry.task.owner) continue;
        if (!best || held < best.assigned.length) best = slot;
      }
      if (best) return best;
      // Every thread ready is another user's interpreter: an idle one is replaced by a fresh thread for this task.
      const others = ready.find((slot) => slot.assigned.length === 0 && slot.owner !== undefined);
      if (others) this.replace(others);
      return undefined;
    }
    const idle = ready.filter((slot) => slot.assigned.length === 0);
    const owner = entry.task.owner;
    const mine = idle.find((slot) => slot.owner === owner) ?? idle.find((slot) => slot.owner === undefined);
    if (mine) return mine;
    // Only other users' interpreters are idle: one of them is replaced by a fresh one for this user.
    const other = idle[0];
    if (other) this.replace(other);
    return undefined;
  }

  private assign(entry: WasmEntry, slot: Slot): void {
    const { task } = entry;
    const code = this.codes.get(task.function_id)!;
    slot.assigned.push(entry);
    entry.slot = slot;
    entry.seq = ++slot.seq;
    let message: ToWasmThread;
    if (entry.python) {
      slot.owner = task.owner;
      message = { t: 'py', i: task.task_id, s: entry.seq, source: code.source, args: task.args, kwargs: task.kwargs };
      if (code.entrypoint !== undefined) message.entrypoint = code.entrypoint;
    } else {
      const compiled = this.modules.get(task.function_id) as { digest: string; module: never; maxPages: number };
      const run: WasmRunMessage = { t: 'run', i: task.task_id, s: entry.seq, digest: compiled.digest, name: code.entrypoint ?? 'main', args: task.args, maxPages: compiled.maxPages };
      if (code.entrypoint !== undefined) run.entrypoint = code.entrypoint;
      if (!slot.sent.has(compiled.digest)) {
        run.module = compiled.module;
        slot.sent.add(compiled.digest);
      }
      message = run;
    }
    slot.outbox.push(message);
    if (slot.assigned.length === 1) this.started(entry);
  }

  private limitOf(task: DispatchedTask): { seconds: number; whose: string } {
    const seconds = Math.min(task.timeout_s ?? Infinity, this.options.timeLimitS);
    const whose = task.timeout_s !== undefined && task.timeout_s <= this.options.timeLimitS ? "the task's timeout_s" : "the endpoint's wasm_time_limit_s";
    return { seconds, whose };
  }

  /**
   * Fails the task each thread is running (as its shared progress says) once it passed its time limit, counted
   * from when the thread started it, and replaces the thread; what it held besides runs again (also what it had
   * finished but not reported yet: completions travel together). Stops itself once no thread holds a task.
   */
  private checkTimeLimits(): void {
    let held = false;
    let replaced = false;
    for (const slot of [...this.slots]) {
      if (slot.retired || slot.assigned.length === 0) continue;
      held = true;
      const index = slot.runningIndex();
      if (index === -1) continue;
      const running = slot.assigned[index];
      const { seconds, whose } = this.limitOf(running.task);
      if (nowMs() - slot.runningSince < seconds * 1000) continue;
      if (!running.done) this.fail(running, 'TimeoutError', `stopped at its time limit of ${seconds} s (${whose}); the instance was terminated`);
      this.replace(slot, slot.assigned.filter((other) => other !== running));
      replaced = true;
    }
    if (!held) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
    }
    if (replaced) this.pump();
  }

  /** The task is at the front of its thread: it runs (its time limit counts from when the thread starts it). */
  private started(entry: WasmEntry): void {
    entry.state = 'running';
    entry.timestamps.running = nowMs();
    entry.since = performance.now();
    if (!this.watchdog) {
      this.watchdog = setInterval(() => this.checkTimeLimits(), WATCHDOG_MS);
      this.watchdog.unref();
    }
    this.reporter.stateChanged(entry);
  }

  // ---- what threads report ----

  private reply(slot: Slot, reply: Exclude<WasmThreadReply, { t: 'ready' } | { t: 'failed' }>): void {
    const entry = slot.assigned[0];
    // A thread runs its tasks in order: what it reports is of the first it holds.
    if (!entry || entry.task.task_id !== reply.i) return;
    if (reply.t === 'o') {
      if (!entry.done) this.reporter.output(reply.i, { output_type: 'stream', name: reply.n, text: reply.x });
      return;
    }
    slot.assigned.shift();
    slot.limit = nextPrefetch(slot.limit, reply.ts1 - reply.ts0, PREFETCH_PER_THREAD);
    const next = slot.assigned.find((waiting) => !waiting.done);
    if (next && next.state !== 'running') this.started(next);
    // A prefetched task cancelled meanwhile still ran; its result is dropped.
    if (entry.done) return;
    const timestamps = { ...entry.timestamps, running: reply.ts0 };
    if (reply.t === 'ok') {
      const size = JSON.stringify(reply.r).length;
      if (size > MAX_RESULT_BYTES) {
        this.fail(entry, 'ResultTooLarge', `the result is ${(size / 2 ** 20).toFixed(1)} MiB; the limit is ${MAX_RESULT_BYTES / 2 ** 20} MiB: return less data`);
      } else {
        this.finish(entry, { task_id: reply.i, state: 'success', timestamps: { ...timestamps, success: reply.ts1 }, result: reply.r });
      }
    } else {
      this.finish(entry, { task_id: reply.i, state: 'failed', timestamps: { ...timestamps, failed: reply.ts1 }, error: reply.e });
    }
  }

  private failWaitingPython(): void {
    for (const entry of this.queue) if (entry.python && !entry.done) this.fail(entry, WASM_ERRORS.module, this.pyodideProblem!);
  }

  private fail(entry: WasmEntry, ename: string, evalue: string): void {
    const error: TaskError = { ename, evalue, traceback: [`${ename}: ${evalue}`] };
    this.finish(entry, { task_id: entry.task.task_id, state: 'failed', timestamps: { ...entry.timestamps, failed: nowMs() }, error });
  }

  private finish(entry: WasmEntry, completion: TaskCompletion): void {
    entry.done = true;
    entry.state = completion.state;
    this.entries.delete(entry.task.task_id);
    this.reporter.done(completion);
  }
}
