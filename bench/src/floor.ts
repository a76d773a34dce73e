import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { repoRoot } from '@funcx/testing';

const WORKER = `${repoRoot}endpoint/worker/funcx_worker.py`;

interface Reply {
  t: string;
  i?: string;
}

/**
 * One Python worker driven straight through its pipes (requests on fd 3, replies on fd 4, JSON lines),
 * with no hub and no daemon: the floor for what the whole path can reach.
 */
export class DirectWorker {
  private readonly child: ChildProcess;
  private readonly requests: Writable;
  private buffered = '';
  private onReply: (reply: Reply) => void = () => {};

  private constructor(python: string) {
    this.child = spawn(python, [WORKER], { stdio: ['ignore', 'ignore', 'inherit', 'pipe', 'pipe'] });
    this.requests = this.child.stdio[3] as Writable;
    const replies = this.child.stdio[4] as Readable;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => {
      const lines = (this.buffered + chunk).split('\n');
      this.buffered = lines.pop()!;
      for (const line of lines) if (line) this.onReply(JSON.parse(line) as Reply);
    });
  }

  static async start(python: string, source: string, entrypoint: string): Promise<DirectWorker> {
    const worker = new DirectWorker(python);
    await worker.until((reply) => reply.t === 'ready');
    worker.requests.write(`${JSON.stringify({ t: 'f', f: 'noop', s: source, e: entrypoint })}\n`);
    return worker;
  }

  /** Sends `count` run requests in one write and resolves when every one has replied. */
  runBatch(count: number, prefix: string): Promise<void> {
    let left = count;
    const done = this.until((reply) => (reply.t === 'ok' || reply.t === 'err') && --left === 0);
    let lines = '';
    for (let i = 0; i < count; i++) lines += `{"t":"r","i":"${prefix}${i}","f":"noop","a":[],"k":{}}\n`;
    this.requests.write(lines);
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

  stop(): void {
    this.child.kill('SIGKILL');
  }

  private until(match: (reply: Reply) => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the worker did not answer within 60 s')), 60_000);
      this.onReply = (reply) => {
        if (reply.t === 'err') reject(new Error(`the no-op failed: ${JSON.stringify(reply)}`));
        if (match(reply)) {
          clearTimeout(timer);
          resolve();
        }
      };
    });
  }
}
