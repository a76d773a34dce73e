export { Manager, type ManagerOptions, type TaskLimits } from './manager.js';
export { WorkerPool, describeExit, type WorkerPoolOptions, type WorkerPoolListener } from './worker-pool.js';
export { WorkerProcess, type WorkerProcessListener } from './worker-process.js';
export { WORKER_SCRIPT, workerLaunch, type WorkerLaunchOptions } from './worker-launch.js';
export { workerEnv, type WorkerEnvSettings } from './worker-env.js';
export { nowMs, type HeldTask, type TaskReporter } from './reporter.js';
export { containerLaunch, type ContainerLaunchOptions } from './worker-launch.js';
export {
  BwrapImageRuntime,
  BwrapRuntime,
  PodmanRuntime,
  writePodmanConfig,
  type ContainerRuntime,
  type PodmanConfig,
  type WorkerLaunch,
} from './runtimes/index.js';
export { Interchange, type InterchangeOptions } from './interchange.js';
export { ManagerListener, managerSecret } from './manager-listener.js';
export { parseDaemonAddress } from './daemon-link.js';
export { readFrames } from './frame-reader.js';
export { Outbox, type OutboxSink } from './outbox.js';
export { ResultsBuffer } from './results-buffer.js';
export { FileLedger } from './ledger.js';
export { WasmRunner, type WasmRunnerOptions } from './wasm/wasm-runner.js';
export { HubConnection, type ConnectionOptions } from './connection.js';
export { readConfig, type EndpointConfig } from './config.js';
export { processTree } from './process-tree.js';
