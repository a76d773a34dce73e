import { Worker } from 'node:worker_threads';
import { progressViews, type ToWasmThread, type WasmThreadData, type WasmThreadReply } from './wasm-messages.js';

/** The JavaScript heap of a thread (its Pyodide, when it has one); wasm memories are apart from it. */
export const THREAD_HEAP_MB = 512;

export interface WasmThreadEvents<E extends { seq?: number }> {
  ready(thread: WasmThreadHandle<E>): void;
  /** It could not start (Pyodide did not load). */
  failed(thread: WasmThreadHandle<E>, reason: string): void;
  reply(thread: WasmThreadHandle<E>, reply: Exclude<WasmThreadReply, { t: 'ready' } | { t: 'failed' }>): void;
  /** After every message from it (several replies). */
  settled(): void;
  /** It stopped on its own (an uncaught error, its heap ran out); `how` says so. */
  stopped(thread: WasmThreadHandle<E>, how: string): void;
}

/**
 * One thread of the pool as the pool sees it (wasm-thread.ts is the thread itself): the tasks it holds in the
 * order it runs them, how many it may hold, which it runs now (shared memory), the modules it was sent, and the
 * user whose Python its interpreter ran. Messages to it wait in `outbox` until the pool sends them together.
 */
export class WasmThreadHandle<E extends { seq?: number }> {
  readonly worker: Worker;
  ready = false;
  /** The tasks it holds, in the order it runs them. */
  assigned: E[] = [];
  /** How many it may hold now (nextPrefetch of its last task's run time). */
  limit = 1;
  /** The number of the last task handed to it. */
  seq = 0;
  outbox: ToWasmThread[] = [];
  /** Digests of the modules it was sent. */
  readonly sent = new Set<string>();
  /** The user whose Python its interpreter ran: it runs no other user's tasks. */
  owner?: string;
  /** Terminated on purpose (or gone): nothing it does counts any more. */
  retired = false;
  private readonly progress: { running: Int32Array; since: Float64Array };

  constructor(data: Omit<WasmThreadData, 'progress'>, events: WasmThreadEvents<E>) {
    const progress = new SharedArrayBuffer(16);
    this.progress = progressViews(progress);
    this.worker = new Worker(new URL('./wasm-thread.js', import.meta.url), {
      workerData: { ...data, progress } satisfies WasmThreadData,
      // The thread gets no environment; what it prints itself (node:wasi's experimental warning) is not a task's.
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (replies: WasmThreadReply[]) => {
      for (const reply of replies) {
        if (reply.t === 'ready') {
          this.ready = true;
          events.ready(this);
        } else if (reply.t === 'failed') events.failed(this, reply.reason);
        else events.reply(this, reply);
      }
      events.settled();
    });
    this.worker.on('error', (error) => events.stopped(this, error.message));
    this.worker.on('exit', (code) => events.stopped(this, `exit code ${code}`));
  }

  /** Where in what it holds its running task is (-1: between tasks; what it finished is on its way). */
  runningIndex(): number {
    const seq = Atomics.load(this.progress.running, 0);
    return seq === 0 ? -1 : this.assigned.findIndex((held) => held.seq === seq);
  }

  /** Epoch ms at which its running task started. */
  get runningSince(): number {
    return this.progress.since[0];
  }

  /** Sends what waits in the outbox, in one message. */
  flush(): void {
    if (this.outbox.length === 0) return;
    this.worker.postMessage(this.outbox);
    this.outbox = [];
  }

  terminate(): Promise<number> {
    this.retired = true;
    return this.worker.terminate();
  }
}
