import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DispatchedTask, FunctionCode, JsonValue, TaskCompletion, TaskError } from '@funcx/protocol';
import type { BlockConfig } from './config-blocks.js';
import type { WorkerConfig } from './config-workers.js';
import type { LogLevel } from './log.js';
import { killTree } from './process-tree.js';
import { nowMs, type HeldTask, type TaskReporter } from './reporter.js';
import { workerEnv } from './worker-env.js';
import { describeExit } from './worker-exit.js';

export const MPI_RANK_SCRIPT = fileURLToPath(new URL('../../worker/funcx_mpi_rank.py', import.meta.url));

/** The command that starts an MPI task's ranks under the block's launcher. */
export function mpiCommand(
  launcher: 'mpiexec' | 'srun',
  options: string[],
  spec: { num_nodes: number; ranks_per_node: number },
  nodes: string[],
  program: string[],
): string[] {
  const ranks = spec.num_nodes * spec.ranks_per_node;
  if (launcher === 'srun') {
    return ['srun', '--nodes', String(spec.num_nodes), '--ntasks-per-node', String(spec.ranks_per_node), '--ntasks', String(ranks), ...options, ...program];
  }
  const hosts = nodes.length > 1 ? ['--host', nodes.slice(0, spec.num_nodes).map((node) => `${node}:${spec.ranks_per_node}`).join(',')] : [];
  return ['mpiexec', '-n', String(ranks), ...hosts, ...options, ...program];
}

interface MpiEntry extends HeldTask {
  child?: ChildProcess;
  dir: string;
  cancelled?: boolean;
}

/**
 * Runs a manager's MPI tasks: each under the block's launcher (mpiexec or srun) with num_nodes x ranks_per_node
 * ranks, the function run on every rank (endpoint/worker/funcx_mpi_rank.py). Its value is the list of every
 * rank's value, in rank order; a rank's exception fails the task; the launcher's output is the task's.
 * A manager runs one MPI task at a time: it holds the block's nodes.
 */
export class MpiRunner {
  private readonly functions = new Map<string, FunctionCode>();
  private readonly entries = new Map<string, MpiEntry>();
  private readonly waiting: MpiEntry[] = [];
  private running?: MpiEntry;

  constructor(
    private readonly config: BlockConfig & WorkerConfig & { python: string },
    private readonly nodes: string[],
    private readonly reporter: TaskReporter,
    private readonly log: (level: LogLevel, line: string) => void,
  ) {}

  get held(): number {
    return this.entries.size;
  }

  /** Room for one MPI task beside what it holds (the daemon sends MPI tasks only where they fit). */
  get capacity(): number {
    return this.entries.size === 0 ? 1 : 0;
  }

  define(functions: FunctionCode[]): void {
    for (const code of functions) this.functions.set(code.function_id, code);
  }

  submit(tasks: DispatchedTask[]): void {
    for (const task of tasks) {
      if (this.entries.has(task.task_id)) continue;
      const now = nowMs();
      const entry: MpiEntry = { task, state: 'waiting-for-launch', timestamps: { 'waiting-for-launch': now }, since: performance.now(), done: false, dir: '' };
      this.entries.set(task.task_id, entry);
      const spec = task.resource_specification!;
      if (spec.num_nodes > this.nodes.length) {
        this.fail(entry, 'ResourceError', `the task asks for ${spec.num_nodes} nodes; this endpoint's blocks have ${this.nodes.length} (nodes_per_block)`);
        continue;
      }
      this.waiting.push(entry);
      this.reporter.stateChanged(entry);
    }
    this.next();
  }

  cancel(taskIds: string[]): void {
    for (const id of taskIds) {
      const entry = this.entries.get(id);
      if (!entry || entry.done) continue;
      entry.cancelled = true;
      if (entry.child?.pid) killTree(entry.child.pid);
      else this.finish(entry, { task_id: id, state: 'cancelled', timestamps: { ...entry.timestamps, cancelled: nowMs() } });
    }
  }

  stop(): void {
    for (const entry of this.entries.values()) if (entry.child?.pid) killTree(entry.child.pid);
  }

  private next(): void {
    if (this.running) return;
    let entry = this.waiting.shift();
    while (entry?.done) entry = this.waiting.shift();
    if (!entry) return;
    this.running = entry;
    this.launch(entry);
  }

  private launch(entry: MpiEntry): void {
    const { task } = entry;
    const code = this.functions.get(task.function_id);
    if (!code) return this.fail(entry, 'FunctionNotFound', `the code of function ${task.function_id} did not reach the endpoint`);
    entry.dir = mkdtempSync(join(tmpdir(), 'funcx-mpi-'));
    const taskFile = join(entry.dir, 'task.json');
    writeFileSync(taskFile, JSON.stringify({ function_id: code.function_id, source: code.source, entrypoint: code.entrypoint, args: task.args, kwargs: task.kwargs }));
    const launcher = this.config.mpi_launcher ?? 'mpiexec';
    const command = mpiCommand(launcher, this.config.mpi_launcher_options ?? [], task.resource_specification!, this.nodes, [
      this.config.python,
      MPI_RANK_SCRIPT,
      taskFile,
      entry.dir,
    ]);
    // The launcher needs what the scheduler set (SLURM_*, PBS_*, OMPI_*) besides a worker's environment.
    const launchEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => /^(SLURM|PBS|OMPI|PMIX|PRTE|HYDRA)_/.test(name)));
    const env = { ...launchEnv, ...workerEnv(entry.dir, { set: this.config.worker_env ?? {}, passthrough: this.config.env_passthrough ?? [] }) };
    const child = spawn(command[0], command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    entry.child = child;
    entry.state = 'running';
    entry.timestamps.running = nowMs();
    entry.since = performance.now();
    this.reporter.stateChanged(entry);
    const timer = task.timeout_s ? setTimeout(() => child.pid && killTree(child.pid), task.timeout_s * 1000) : undefined;
    let timedOut = false;
    if (timer) timer.unref();
    for (const name of ['stdout', 'stderr'] as const) {
      child[name]!.setEncoding('utf8').on('data', (text: string) => this.reporter.output(task.task_id, { output_type: 'stream', name, text }));
    }
    const started = performance.now();
    child.on('error', (error) => {
      clearTimeout(timer);
      this.fail(entry, 'LauncherError', `${command[0]} could not start (${error.message}): install it or set mpi_launcher`);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (entry.done) return;
      timedOut = task.timeout_s !== undefined && performance.now() - started >= task.timeout_s * 1000;
      if (entry.cancelled) return this.finish(entry, { task_id: task.task_id, state: 'cancelled', timestamps: { ...entry.timestamps, cancelled: nowMs() } });
      if (timedOut) return this.fail(entry, 'TimeoutError', `timed out after ${task.timeout_s} s`);
      this.collect(entry, code, signal);
    });
  }

  private collect(entry: MpiEntry, code: number | null, signal: NodeJS.Signals | null): void {
    const spec = entry.task.resource_specification!;
    const ranks = spec.num_nodes * spec.ranks_per_node;
    const values: JsonValue[] = [];
    const texts: string[] = [];
    for (let rank = 0; rank < ranks; rank++) {
      let reply: { result?: { value?: JsonValue; data: { 'text/plain'?: string } }; error?: TaskError };
      try {
        reply = JSON.parse(readFileSync(join(entry.dir, `rank-${rank}.json`), 'utf8'));
      } catch {
        return this.fail(entry, 'MPIError', `rank ${rank} of ${ranks} wrote no result (${command(this.config)} ${describeExit(code, signal)})`);
      }
      if (reply.error) {
        const error = reply.error;
        return this.finishWith(entry, { ...error, evalue: `${error.evalue} (rank ${rank})` });
      }
      values.push(reply.result?.value ?? null);
      texts.push(reply.result?.data['text/plain'] ?? 'None');
    }
    const now = nowMs();
    this.finish(entry, {
      task_id: entry.task.task_id,
      state: 'success',
      timestamps: { ...entry.timestamps, success: now },
      result: { value: values, data: { 'text/plain': `[${texts.join(', ')}]` } },
    });
  }

  private finishWith(entry: MpiEntry, error: TaskError): void {
    this.finish(entry, { task_id: entry.task.task_id, state: 'failed', timestamps: { ...entry.timestamps, failed: nowMs() }, error });
  }

  private fail(entry: MpiEntry, ename: string, evalue: string): void {
    this.log('warn', `MPI task ${entry.task.task_id}: ${evalue}`);
    this.finishWith(entry, { ename, evalue, traceback: [`${ename}: ${evalue}`] });
  }

  private finish(entry: MpiEntry, completion: TaskCompletion): void {
    entry.done = true;
    this.entries.delete(entry.task.task_id);
    if (entry.dir) rmSync(entry.dir, { recursive: true, force: true });
    this.reporter.done(completion);
    if (this.running === entry) this.running = undefined;
    this.next();
  }
}

function command(config: BlockConfig): string {
  return config.mpi_launcher ?? 'mpiexec';
}
