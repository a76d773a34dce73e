import { spawn, type ChildProcess } from 'node:child_process';

export interface SpawnOptions {
  /** Shown in error messages. */
  name?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Write this to stdin, then close it. */
  input?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Only look at output written after this many characters (see `outputLength`). */
  from?: number;
  stream?: 'stdout' | 'stderr' | 'both';
}

/** A child process a test started; stopped by pid, registered so `stopAll()` can end it. */
export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  stdout = '';
  stderr = '';
  /** Both streams interleaved as they arrived. */
  output = '';
  exitStatus?: ExitStatus;
  readonly exited: Promise<ExitStatus>;
  private readonly waiters = new Set<() => void>();

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.name = options.name ?? [command, ...args].join(' ');
    // Own process group, so a stop also reaches what this process started (e.g. Python workers).
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    if (this.child.pid === undefined) throw new Error(`could not start ${this.name}`);
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.append('stdout', chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.append('stderr', chunk));
    this.child.stdin!.on('error', () => {});
    if (options.input !== undefined) this.child.stdin!.end(options.input);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        running.delete(this);
        this.notify();
        resolve(this.exitStatus);
      });
    });
    running.add(this);
  }

  get outputLength(): number {
    return this.output.length;
  }

  /** Resolves with the first match of `pattern` in the output; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, options: WaitOptions = {}): Promise<RegExpMatchArray> {
    const { timeoutMs = 15_000, from = 0, stream = 'both' } = options;
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const text = stream === 'both' ? this.output.slice(from) : this[stream];
        const match = text.match(pattern);
        if (match) {
          finish();
          resolve(match);
          return true;
        }
        if (this.exitStatus) {
          finish();
          reject(new Error(`${this.name} exited (${describe(this.exitStatus)}) before printing ${pattern}\n${this.tail()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => void check();
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Resolves with the exit status; rejects if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs = 15_000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} still running after ${timeoutMs} ms\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exitStatus) process.kill(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL to the whole process group if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<ExitStatus> {
    if (!this.exitStatus) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => killGroup(this.pid), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    killGroup(this.pid);
    return this.exitStatus!;
  }

  /** SIGKILL to this process only, as in a crash; what it started is left to notice. */
  async kill9(): Promise<ExitStatus> {
    if (!this.exitStatus) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return this.exited;
  }

  tail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  private append(stream: 'stdout' | 'stderr', chunk: string): void {
    this[stream] += chunk;
    this.output += chunk;
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const running = new Set<ManagedProcess>();
const groups = new Set<number>();

export function spawnProcess(command: string, args: string[], options?: SpawnOptions): ManagedProcess {
  const child = new ManagedProcess(command, args, options);
  groups.add(child.pid);
  return child;
}

/** Runs a command to its end; rejects with its output if it fails or outlasts `timeoutMs`. */
export async function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const child = spawnProcess(command, args, options);
  const status = await child.waitForExit(options.timeoutMs ?? 30_000).catch(async (error: Error) => {
    await child.stop(1_000);
    throw error;
  });
  if (status.code !== 0) throw new Error(`${child.name} failed (${describe(status)})\n${child.tail()}`);
  return child;
}

/** Stops every process started through this module, and what they started. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop(3_000)));
  for (const pgid of groups) killGroup(pgid);
  groups.clear();
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}

export function describe(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}
