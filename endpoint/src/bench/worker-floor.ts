import { WorkerProcess, workerEnv, type WorkerReply } from '../worker-process.js';

export interface WorkerFloorOptions {
  /** No-op tasks to run (default 10,000). */
  tasks?: number;
  /** Python interpreter (default python3). */
  python?: string;
  /** Source of the function to run (default `None`, a no-op cell). */
  source?: string;
}

export interface WorkerFloorResult {
  tasks: number;
  seconds: number;
  tasksPerSecond: number;
  /** Mean cost of one task in microseconds (the inverse of the throughput). */
  microsecondsPerTask: number;
}

/**
 * The floor of the benchmark: no-op tasks written straight into one warm worker's pipe (no hub, no daemon
 * queue), all at once, timed from the first write to the last reply.
 */
export async function runWorkerFloor(options: WorkerFloorOptions = {}): Promise<WorkerFloorResult> {
  const count = options.tasks ?? 10_000;
  let onReady!: () => void;
  let onDone!: () => void;
  let onFail!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFail = reject)));
  const done = new Promise<void>((resolve, reject) => ((onDone = resolve), (onFail = reject)));
  let replies = 0;
  const worker = new WorkerProcess(
    { python: options.python ?? 'python3', env: workerEnv() },
    {
      reply(_worker, reply: WorkerReply) {
        if (reply.t === 'ready') onReady();
        else if ((reply.t === 'ok' || reply.t === 'err') && ++replies === count) onDone();
      },
      stdio() {},
      exit(exited, code, signal) {
        onFail(new Error(`the worker exited (${signal ?? code}): ${exited.stderrTail}`));
      },
    },
  );
  try {
    await ready;
    worker.send(JSON.stringify({ t: 'f', f: 'noop', s: options.source ?? 'None', e: null }));
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      worker.send(JSON.stringify({ t: 'r', i: `task-${i}`, f: 'noop', a: [], k: {} }));
    }
    await done;
    const seconds = (performance.now() - start) / 1000;
    return {
      tasks: count,
      seconds,
      tasksPerSecond: count / seconds,
      microsecondsPerTask: (seconds * 1e6) / count,
    };
  } finally {
    worker.kill();
  }
}

const invokedDirectly = process.argv[1]?.endsWith('worker-floor.js');
if (invokedDirectly) {
  const tasks = Number(process.argv[2] ?? 10_000);
  const result = await runWorkerFloor({ tasks, python: process.argv[3] });
  console.log(
    `worker floor: ${result.tasks} no-op tasks in ${result.seconds.toFixed(3)} s = ` +
      `${Math.round(result.tasksPerSecond)} tasks/s (${result.microsecondsPerTask.toFixed(1)} µs/task)`,
  );
}
