import { treeUsage } from './process-tree.js';
import type { WorkerProcess } from './worker-process.js';

/**
 * Limits the daemon enforces by watching each worker's process tree in /proc, out of reach of user code (for a
 * worker in a podman container, the tree of the container's own processes).
 */
export interface GuardLimits {
  /** CPU seconds one task may use (its worker's tree, children included). */
  cpuSeconds?: number;
  /** Processes one task may run at once beside its worker. */
  processes?: number;
}

/** How often busy workers are measured. */
export const GUARD_INTERVAL_MS = 100;

interface Watch {
  taskId: string;
  cpuAtStart: number;
}

/**
 * Measures the process tree of every worker with a task: CPU time since the task was first seen running, and
 * processes beyond those the worker had when it became ready. A task over a limit is reported; the caller fails
 * it and kills the tree.
 */
export class TaskGuard {
  private readonly watches = new WeakMap<WorkerProcess, Watch>();
  private readonly baseProcesses = new WeakMap<WorkerProcess, number>();

  constructor(
    private readonly limits: GuardLimits,
    private readonly onViolation: (worker: WorkerProcess, ename: string, evalue: string) => void,
  ) {}

  get needed(): boolean {
    return Boolean(this.limits.cpuSeconds || this.limits.processes);
  }

  /** A worker just became ready: what its tree holds now is its own (reaper, sandbox init), not a task's. */
  workerReady(worker: WorkerProcess): void {
    const root = worker.treePid;
    if (this.limits.processes && root !== undefined) this.baseProcesses.set(worker, treeUsage(root).processes);
  }

  check(workers: readonly WorkerProcess[]): void {
    for (const worker of workers) {
      const taskId = worker.assigned[0];
      const root = worker.treePid;
      if (taskId === undefined || !worker.ready || worker.exited || root === undefined) continue;
      const usage = treeUsage(root);
      let watch = this.watches.get(worker);
      if (watch?.taskId !== taskId) {
        watch = { taskId, cpuAtStart: usage.cpuSeconds };
        this.watches.set(worker, watch);
      }
      const { cpuSeconds, processes } = this.limits;
      if (cpuSeconds && usage.cpuSeconds - watch.cpuAtStart > cpuSeconds) {
        this.onViolation(worker, 'CpuTimeExceeded', `the task used more than ${cpuSeconds} s of CPU time, the endpoint's limit (limits.cpu_s)`);
        continue;
      }
      const extra = usage.processes - (this.baseProcesses.get(worker) ?? 1);
      if (processes && extra > processes) {
        this.onViolation(
          worker,
          'ProcessLimitExceeded',
          `the task ran more than ${processes} processes at once, the endpoint's limit (limits.processes)`,
        );
      }
    }
  }
}
