import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerProcess, workerLaunch, type WorkerLaunch } from '@funcx/endpoint';
import { encodeDefine, encodeRun, type WorkerReply } from '@funcx/protocol';

/**
 * One warm Python worker driven straight through its pipes with the endpoint's own WorkerProcess (requests on
 * fd 3, replies on fd 4), with no hub and no daemon queue: the floor for what the whole path can reach. A
 * launch of its own runs the worker some other way (in a container, for bench/src/containers.ts).
 */
export class DirectWorker {
  private readonly worker: WorkerProcess;
  private readonly scratch = mkdtempSync(join(tmpdir(), 'funcx-bench-worker-'));
  private onReply: (reply: WorkerReply) => void = () => {};
  private onExit: (error: Error) => void = () => {};

  private constructor(python: string, launch?: (scratch: string) => WorkerLaunch) {
    this.worker = new WorkerProcess(
      launch ? launch(this.scratch) : workerLaunch({ python, scratch: this.scratch }),
      {
        reply: (_worker, reply) => this.onReply(reply),
        protocolError: (_worker, reason) => this.onExit(new Error(`the worker broke its protocol: ${reason}`)),
        stdio: () => {},
        exit: (worker, code, signal) => this.onExit(new Error(`the worker exited (${signal ?? code}): ${worker.stderrTail}`)),
      },
    );
  }

  static async start(
    python: string,
    source: string,
    entrypoint: string,
    launch?: (scratch: string) => WorkerLaunch,
  ): Promise<DirectWorker> {
    const direct = new DirectWorker(python, launch);
    await direct.until((reply) => reply.t === 'ready');
    direct.worker.send(encodeDefine({ function_id: 'noop', source, entrypoint }));
    return direct;
  }

  /** Sends `count` run requests back to back and resolves when every one has replied. */
  runBatch(count: number, prefix: string): Promise<void> {
    let left = count;
    const done = this.until((reply) => (reply.t === 'ok' || reply.t === 'err') && --left === 0);
    for (let i = 0; i < count; i++) {
      this.worker.send(encodeRun({ task_id: `${prefix}${i}`, function_id: 'noop', args: [], kwargs: {} }));
    }
    return done;
  }

  /** Round-trip times (ms) of `count` tasks sent one at a time. */
  async latencies(count: number): Promise<number[]> {
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await this.runBatch(1, `l${i}-`);
      samples.push(performance.now() - start);
    }
    return samples;
  }

  /** Stops the worker; resolves once it (and a container's client) has exited. */
  stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.worker.exited) return resolve();
      this.worker.child.once('exit', () => resolve());
    });
    this.onExit = () => {};
    this.worker.kill();
    return exited.then(() => {
      rmSync(this.scratch, { recursive: true, force: true });
      rmSync(`${this.scratch}.pid`, { force: true });
    });
  }

  private until(match: (reply: WorkerReply) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not answer within 60 s')), 60_000);
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.onReply = () => {};
        if (error) reject(error);
        else resolve();
      };
      this.onExit = settle;
      this.onReply = (reply) => {
        if (reply.t === 'err') settle(new Error(`the no-op failed: ${reply.e.ename}: ${reply.e.evalue}`));
        else if (match(reply)) settle();
      };
    });
  }
}
