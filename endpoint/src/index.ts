export { Manager, type ManagerOptions } from './manager.js';
export { WorkerPool, describeExit, type WorkerPoolOptions, type WorkerPoolListener } from './worker-pool.js';
export { WorkerProcess, WORKER_SCRIPT, workerEnv, type WorkerReply } from './worker-process.js';
export { nowMs, type HeldTask, type TaskReporter } from './reporter.js';
export { runWorkerFloor, type WorkerFloorOptions, type WorkerFloorResult } from './bench/worker-floor.js';
