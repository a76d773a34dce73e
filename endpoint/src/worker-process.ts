import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JsonValue, MimeBundle, StreamName, TaskError, TaskResult } from '@funcx/protocol';

/** The Python worker program (stdlib only). */
export const WORKER_SCRIPT = fileURLToPath(new URL('../../worker/funcx_worker.py', import.meta.url));

/** Replies of the worker on its fd 4, one JSON object a line (see funcx_worker.py). */
export type WorkerReply =
  | { t: 'ready'; pid: number; python: string }
  | { t: 's'; i: string; ts: number }
  | { t: 'o'; i: string | null; n: StreamName; x: string }
  | { t: 'd'; i: string | null; data: MimeBundle; md: { [key: string]: JsonValue } }
  | { t: 'ok'; i: string; ts0: number; ts1: number; r: TaskResult }
  | { t: 'err'; i: string; ts0: number; ts1: number; e: TaskError };

export interface WorkerProcessListener {
  reply(worker: WorkerProcess, reply: WorkerReply, lineLength: number): void;
  /** Bytes the process wrote to its real stdout/stderr (C code, subprocesses). */
  stdio(worker: WorkerProcess, name: StreamName, text: string): void;
  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
}

export interface WorkerProcessOptions {
  python: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Environment every worker gets: Agg-based figures that plt.show() displays, unbuffered real stdout. */
export function workerEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, MPLBACKEND: 'module://funcx_mpl_backend', PYTHONUNBUFFERED: '1' };
}

let nextWorkerId = 1;

/** One Python worker process and the pipes to it: requests on its fd 3, replies on its fd 4. */
export class WorkerProcess {
  readonly id = nextWorkerId++;
  readonly child: ChildProcess;
  ready = false;
  exited = false;
  python = '';
  /** Ids of the tasks handed to this worker, in the order it runs them; the first is running. */
  readonly assigned: string[] = [];
  /** Functions already defined in this worker. */
  readonly functions = new Set<string>();
  /** How many tasks may be handed to this worker at once (grows while its tasks are quick). */
  limit = 1;
  /** The last lines of its stderr, to explain a worker that could not start. */
  stderrTail = '';
  private outgoing: string[] = [];
  private flushQueued = false;
  private partial = '';

  constructor(
    options: WorkerProcessOptions,
    private readonly listener: WorkerProcessListener,
  ) {
    this.child = spawn(options.python, ['-B', WORKER_SCRIPT], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: options.env ?? workerEnv(),
      cwd: options.cwd,
    });
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      this.exited = true;
      this.ready = false;
      listener.exit(this, code, signal);
    };
    this.child.on('error', (error) => {
      this.stderrTail += `\n${error.message}`;
      end(null, null);
    });
    this.child.on('exit', end);
    const replies = this.child.stdio[4] as NodeJS.ReadableStream;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.onReplies(chunk));
    replies.on('error', () => {});
    this.child.stdio[3]!.on('error', () => {});
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (text: string) => listener.stdio(this, 'stdout', text));
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      listener.stdio(this, 'stderr', text);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Queues one request line; lines queued in the same turn of the event loop go out in one write. */
  send(line: string): void {
    this.outgoing.push(line);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.exited || this.outgoing.length === 0) return;
    const data = this.outgoing.join('\n') + '\n';
    this.outgoing = [];
    (this.child.stdio[3] as NodeJS.WritableStream).write(data);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.child.kill(signal);
  }

  private onReplies(chunk: string): void {
    let start = 0;
    let newline = chunk.indexOf('\n');
    if (newline === -1) {
      this.partial += chunk;
      return;
    }
    if (this.partial) {
      const line = this.partial + chunk.slice(0, newline);
      this.partial = '';
      this.listener.reply(this, JSON.parse(line) as WorkerReply, line.length);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    while (newline !== -1) {
      this.listener.reply(this, JSON.parse(chunk.slice(start, newline)) as WorkerReply, newline - start);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.partial = chunk.slice(start);
  }
}
