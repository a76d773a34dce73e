import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MAX_SOCKET_MESSAGE_BYTES, type StreamName, type WorkerReply } from '@funcx/protocol';
import { killTree } from './process-tree.js';
import type { ContainerHandle, WorkerLaunch } from './runtimes/index.js';
import { decodeReply, ReplyProblem } from './worker-replies.js';

export interface WorkerProcessListener {
  reply(worker: WorkerProcess, reply: WorkerReply, lineLength: number): void;
  /** The worker wrote a reply the daemon cannot accept; it is being killed, and its exit follows. */
  protocolError(worker: WorkerProcess, reason: string): void;
  /** Bytes the process wrote to its real stdout/stderr (C code, subprocesses). */
  stdio(worker: WorkerProcess, name: StreamName, text: string): void;
  exit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void;
}

/** How long a container's client may take to notice its container was killed before it is killed too. */
const CLIENT_GRACE_MS = 5_000;

/** A reply line longer than this is not waited for: a worker that writes one is broken or hostile. */
const MAX_REPLY_LINE = MAX_SOCKET_MESSAGE_BYTES;

let nextWorkerId = 1;

/**
 * One Python worker process and the pipes to it: requests on its fd 3, replies on its fd 4 (or, for a runtime
 * that cannot pass those, the launched command's stdin and stdout). A worker in a container is the container's
 * client process (podman run, apptainer exec, ...) with the worker inside.
 */
export class WorkerProcess {
  readonly id = nextWorkerId++;
  readonly child: ChildProcess;
  /** The container image it runs in; "" for a worker without a container. */
  readonly image: string;
  readonly container?: ContainerHandle;
  /** Where a detached container's processes are on this machine (their root's pid), once known. */
  hostPid?: number;
  ready = false;
  exited = false;
  python = '';
  /** The daemon killed it (timeout, cancel, limit, replacement): its end is not a failure to start. */
  killed = false;
  /** Stopped for having been idle too long: it is not replaced. */
  idleStopped = false;
  /** performance.now() of when it last took or finished a task (or became ready): least recently used goes first. */
  lastUsed = 0;
  /** The user whose code this worker has run: it never runs another user's task. */
  owner?: string;
  /** Being stopped (to make room, or idle too long); it takes no more tasks. */
  retiring = false;
  /** The session it is kept for (sessionKey), if any: it runs that session's tasks only. */
  session?: string;
  /** Why the manager stopped it, told to its session's next task. */
  stopReason?: string;
  /** The image of the worker that takes its slot once it has gone (it was repurposed). */
  replacement?: string;
  /** Ids of the tasks handed to this worker, in the order it runs them; the first is running. */
  readonly assigned: string[] = [];
  /** Functions already defined in this worker. */
  readonly functions = new Set<string>();
  /** How many tasks may be handed to this worker at once (grows while its tasks are quick). */
  limit = 1;
  /** The last lines of its stderr, to explain a worker that could not start. */
  stderrTail = '';
  /** Called right before requests are written to the worker (the crash ledger flushes then). */
  beforeWrite?: () => void;
  private outgoing: string[] = [];
  private flushQueued = false;
  private partial = '';
  private broken = false;
  private clientTimer?: NodeJS.Timeout;

  private readonly requests: NodeJS.WritableStream;

  constructor(
    launch: WorkerLaunch,
    private readonly listener: WorkerProcessListener,
  ) {
    this.image = launch.container?.image ?? '';
    this.container = launch.container;
    const overStdio = launch.channel === 'stdio';
    // Its own session and process group: nothing aimed at the daemon's group reaches it, and its tree is killed
    // as one (process-tree.ts).
    this.child = spawn(launch.command, launch.args, {
      stdio: overStdio ? ['pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
      env: launch.env,
      cwd: launch.cwd,
      detached: true,
    });
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      clearTimeout(this.clientTimer);
      this.exited = true;
      this.ready = false;
      listener.exit(this, code, signal);
    };
    this.child.on('error', (error) => {
      this.stderrTail += `\n${error.message}`;
      end(null, null);
    });
    this.child.on('exit', end);
    const replies = (overStdio ? this.child.stdout : this.child.stdio[4]) as NodeJS.ReadableStream;
    replies.setEncoding('utf8');
    replies.on('data', (chunk: string) => this.onReplies(chunk));
    replies.on('error', () => {});
    this.requests = (overStdio ? this.child.stdin : this.child.stdio[3]) as NodeJS.WritableStream;
    this.requests.on('error', () => {});
    if (!overStdio) {
      this.child.stdout!.setEncoding('utf8');
      this.child.stdout!.on('data', (text: string) => listener.stdio(this, 'stdout', text));
    }
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      listener.stdio(this, 'stderr', text);
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The root of the processes that are this worker: a detached container's own, else the launched process. */
  get treePid(): number | undefined {
    return this.hostPid ?? this.child.pid;
  }

  /**
   * Called once the worker said it is ready (its container runs): learns where a detached container's processes
   * are, from the runtime's pid file (synchronously) or its inspect command.
   */
  findContainerProcesses(): void {
    const container = this.container;
    if (!container?.detached || this.hostPid !== undefined) return;
    if (container.pidFile) {
      try {
        const pid = Number.parseInt(readFileSync(container.pidFile, 'utf8').trim(), 10);
        if (Number.isInteger(pid) && pid > 1) this.hostPid = pid;
      } catch {
        // not written: the runtime cannot tell, and the client's tree is all the daemon can reach
      }
      return;
    }
    if (container.pidCommand) {
      const [command, ...args] = container.pidCommand;
      const inspect = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'], env: container.env });
      let out = '';
      inspect.stdout!.setEncoding('utf8').on('data', (text: string) => (out += text));
      inspect.on('error', () => {});
      inspect.on('exit', () => {
        const pid = Number.parseInt(out.trim(), 10);
        if (!this.exited && Number.isInteger(pid) && pid > 1) this.hostPid = pid;
      });
    }
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
    this.beforeWrite?.();
    const data = this.outgoing.join('\n') + '\n';
    this.outgoing = [];
    this.requests.write(data);
  }

  /**
   * Kills the worker and every process it started. A detached container's processes are killed by their host
   * pid; one not running yet (or whose pid is unknown) is removed with the runtime's own command.
   */
  kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    this.killed = true;
    const container = this.container;
    if (container?.detached) {
      if (this.hostPid !== undefined) {
        // The client sees its container die, removes it and exits: its exit is the container's end. One that
        // does not is killed after a while.
        killTree(this.hostPid);
        this.clientTimer ??= setTimeout(() => killTree(this.child.pid!), CLIENT_GRACE_MS);
        this.clientTimer.unref();
        return;
      }
      if (container.removeCommand) {
        const [command, ...args] = container.removeCommand;
        const remove = spawn(command, args, { stdio: 'ignore', env: container.env, detached: true });
        remove.on('error', () => {});
        remove.unref();
      }
    }
    killTree(this.child.pid);
  }

  /** Asks the worker to exit (SIGTERM; a container's worker also sees its requests end); `kill()` after a grace period. */
  terminate(): void {
    if (this.exited) return;
    if (this.container) this.requests.end();
    this.child.kill('SIGTERM');
  }

  /** A malformed line breaks the worker: the rest of what it wrote is ignored, and it is replaced. */
  private line(line: string): void {
    if (this.broken) return;
    const reply = decodeReply(line);
    if (reply instanceof ReplyProblem) return this.fail(reply.reason);
    this.listener.reply(this, reply, line.length);
  }

  /** Stops listening to this worker, reports why, and kills it. */
  fail(reason: string): void {
    if (this.broken) return;
    this.broken = true;
    this.partial = '';
    if (!this.exited) this.listener.protocolError(this, reason);
    this.kill();
  }

  private onReplies(chunk: string): void {
    if (this.broken) return;
    let start = 0;
    let newline = chunk.indexOf('\n');
    if (newline === -1) {
      this.partial += chunk;
      if (this.partial.length > MAX_REPLY_LINE) this.fail(`a reply line is longer than ${MAX_REPLY_LINE} characters`);
      return;
    }
    if (this.partial) {
      const line = this.partial + chunk.slice(0, newline);
      this.partial = '';
      this.line(line);
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    while (newline !== -1) {
      this.line(chunk.slice(start, newline));
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.partial = chunk.slice(start);
  }
}
