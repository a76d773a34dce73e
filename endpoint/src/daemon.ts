import { endpointCapabilities } from './config-wasm.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HEARTBEAT_INTERVAL_MS, type DispatchedTask, type EndpointLoad, type FunctionCode, type TaskCompletion } from '@funcx/protocol';
import { Blocks, defaultDrainPeriodMs } from './blocks.js';
import { DEFAULT_MANAGER_ADDRESS, DEFAULT_MAX_RETRIES_ON_SYSTEM_FAILURE, resolveStrategy } from './config-blocks.js';
import { Interchange } from './interchange.js';
import { ManagerListener, managerSecret } from './manager-listener.js';
import { managerSettings } from './manager-settings.js';
import type { EndpointConfig } from './config.js';
import { HubConnection } from './connection.js';
import { CRASHES_TO_BLAME } from './crash-recovery.js';
import { sessionLimits } from './config-sessions.js';
import { DaemonSessions } from './daemon-sessions.js';
import { daemonContainers } from './daemon-containers.js';
import { resetScratchRoot, scratchRootOf, workerSettings } from './daemon-workers.js';
import { EXIT_NO_RESTART } from './exit-codes.js';
import { FileLedger } from './ledger.js';
import { LoadReports } from './load-reports.js';
import type { Log } from './log.js';
import { Outbox } from './outbox.js';
import { endpointPaths } from './paths.js';
import { createProvider } from './providers/index.js';
import { startDaemonData } from './data/daemon-data.js';
import { ResultsBuffer } from './results-buffer.js';
import { ResultsFile } from './results-file.js';
import { nowMs } from './reporter.js';
import { ENDPOINT_VERSION } from './version.js';

export interface DaemonOptions {
  log: Log;
  /** Called once, the first time the hub accepts the daemon's hello. */
  onConnected?: () => void;
  env?: NodeJS.ProcessEnv;
}

const FLUSH_ON_STOP_MS = 3_000;
/** The manager program a provider starts in each block. */
export const MANAGER_SCRIPT = fileURLToPath(new URL('./manager-main.js', import.meta.url));

export interface Daemon {
  /** Stops workers, sends what is left, disconnects. */
  stop(): Promise<void>;
  /** Resolves when the daemon has stopped (by stop() or because the hub refused it); the value is an exit code. */
  finished: Promise<number>;
}

/** Runs an endpoint in this process: workers through its provider, one connection to the hub. */
export async function startDaemon(config: EndpointConfig, options: DaemonOptions): Promise<Daemon> {
  const { log } = options;
  const paths = endpointPaths(config.name, options.env);
  const resultsFile = ResultsFile.open(
    paths.results,
    () => results.values(),
    (error) => log('warn', `could not write ${paths.results}: ${error.message}`),
  );
  const results = new ResultsBuffer(resultsFile.file);
  results.restore(resultsFile.kept);
  if (resultsFile.kept.length > 0) {
    log('info', `${resultsFile.kept.length} result(s) from before the restart wait for the hub's acknowledgement`);
  }
  const env = options.env ?? process.env;
  // Before the ledger is read: a config the daemon cannot run with leaves the previous daemon's ledger as it was.
  const scratchRoot = resetScratchRoot(config);
  workerSettings(config, env, log, scratchRoot);
  const containers = daemonContainers(config, env, log);
  const { ledger, recovery } = FileLedger.open(paths.ledger, (error) =>
    log('warn', `could not write ${paths.ledger} (${error.message}): a crash will not be told apart from a task`),
  );
  let uncharged = recovery?.uncharged ?? [];
  if (uncharged.length > 0) {
    log('info', `${uncharged.length} task(s) lost with the previous daemon through no fault of their own go back uncharged: ${uncharged.join(', ')}`);
  }
  if (recovery) {
    log('warn', `the previous daemon died with tasks at its workers; ${recovery.suspects.size} task(s) under suspicion run alone`);
    for (const taskId of recovery.culprits) {
      log('error', `task ${taskId} was at a worker each of the last ${CRASHES_TO_BLAME} times the daemon died: it fails`);
      results.add(endpointKilled(taskId));
    }
  }
  const outbox = new Outbox(results);
  // The connection exists before the first task can start: tasks arrive through it.
  const loadReports = new LoadReports(() => connection.heartbeat(load()));
  const firstManager = firstManagerWaiter();
  const strategy = resolveStrategy(config, config.provider);
  const limits = sessionLimits(config);
  const sessions = new DaemonSessions(limits.max_sessions, paths.sessions, (error) =>
    log('warn', `could not write ${paths.sessions} (${error.message}): after a restart, sessions will start afresh without saying why`),
  );
  const interchange = new Interchange({
    reporter: outbox,
    sessions,
    onLoadChanged: () => loadReports.soon(),
    nodesPerBlock: strategy.nodesPerBlock,
    log,
    ledger,
    maxRetries: config.max_retries_on_system_failure ?? DEFAULT_MAX_RETRIES_ON_SYSTEM_FAILURE,
    onContainerProblem: (image, message) => containers.failed(image, message),
    onManager: (link, event, detail) => {
      blocks.managerEvent(link, event);
      if (event === 'ready') firstManager.ready();
      if (event === 'failed') {
        log('error', `${link.label} could not start its workers: ${detail}`);
        firstManager.failed(detail ?? 'no reason given');
      }
    },
  });
  const secret = managerSecret();
  // The daemon serves the data store: every worker of every node reaches the same one, it outlives the blocks
  // that come and go, and it is what the hub asks for a client's reads.
  const data = await startDaemonData(config, config.manager_address ?? DEFAULT_MANAGER_ADDRESS, log);
  const listener = new ManagerListener({
    host: config.manager_address ?? DEFAULT_MANAGER_ADDRESS,
    port: config.manager_port ?? 0,
    secret,
    interchange,
    settings: { ...managerSettings(config, scratchRoot, containers.podmanEnv), ...(data ? { data: data.access } : {}) } as unknown as { [key: string]: unknown },
    log,
  });
  const address = await listener.listen();
  mkdirSync(paths.blocksDir, { recursive: true, mode: 0o700 });
  const provider = createProvider(config.provider, { config, dir: paths.blocksDir, env, log });
  const blocks = new Blocks({
    provider,
    interchange,
    strategy,
    launch: (blockId, nodes) => ({
      blockId,
      nodes,
      env: { FUNCX_MANAGER_DAEMON: address, FUNCX_MANAGER_SECRET: secret, FUNCX_BLOCK_ID: blockId },
      managerCommand: [process.execPath, MANAGER_SCRIPT],
    }),
    workersPerNode: config.max_workers_per_node ?? config.workers,
    drainPeriodMs: strategy.drainPeriodMs ?? defaultDrainPeriodMs(provider.walltimeMs),
    log,
    onGone: () => firstManager.failed('its manager exited before its workers were ready (its reason is in the log above)'),
  });
  const load = (): EndpointLoad => ({ ...interchange.load(), blocks: blocks.status(), provider: config.provider, ...limits });
  log('info', `starting endpoint ${config.name}: ${config.workers} ${config.python} worker(s) per node, provider ${config.provider}, managers connect to ${address}`);
  const stopParts = async () => {
    interchange.stop();
    await blocks.stop();
    await listener.close();
    await data?.close();
  };
  try {
    await blocks.start();
    // A local block is this machine: the endpoint is up once its workers are (or says why they cannot start).
    if (config.provider === 'local' && strategy.initBlocks > 0) await firstManager.promise;
  } catch (error) {
    await stopParts();
    ledger.close();
    resultsFile.file.close();
    throw error;
  }
  writeFileSync(paths.pid, `${process.pid}\n`);

  let resolveFinished!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (resolveFinished = resolve));
  let connectedOnce = false;
  let stopping: Promise<void> | undefined;

  const onDispatch = (tasks: DispatchedTask[], functions: FunctionCode[]): void => {
    let fresh = tasks;
    if (results.size > 0) {
      // The hub sent again a task whose completion it has not acknowledged yet: send the completion again.
      fresh = tasks.filter((task) => !results.has(task.task_id));
      if (fresh.length !== tasks.length) {
        results.retry(tasks.filter((task) => results.has(task.task_id)).map((task) => results.get(task.task_id)!));
        outbox.flush();
      }
    }
    interchange.submit(fresh, functions);
  };

  const connection = new HubConnection({
    hubUrl: config.hub_url,
    endpointToken: config.endpoint_token,
    log,
    hello: () => ({
      held_task_ids: [...interchange.held(), ...results.ids()],
      load: load(),
      version: ENDPOINT_VERSION,
      ...(uncharged.length > 0 ? { uncharged_task_ids: uncharged } : {}),
      // The hub refuses tasks of other functions before they travel; the endpoint checks again.
      ...(config.allowed_functions ? { allowed_functions: config.allowed_functions } : {}),
      capabilities: endpointCapabilities(config),
    }),
    onDispatch,
    onCancel: (taskIds) => interchange.cancel(taskIds),
    ...(data ? { data: data.relay } : {}),
    onEndSessions: (ended) => interchange.endSessions(ended),
    onReady: () => {
      uncharged = [];
      results.resendAll();
      outbox.flush();
      if (!connectedOnce) {
        connectedOnce = true;
        options.onConnected?.();
      }
    },
    onRejected: (message) => {
      log('error', `${message}; re-run "funcx-endpoint configure ${config.name}" and start it again`);
      void stop(EXIT_NO_RESTART);
    },
  });
  outbox.sink = connection;
  // At once, not after the load report's pause: the hub knows a new session before the result of its first task.
  sessions.onChange = () => connection.heartbeat(load());
  connection.start();
  const heartbeat = setInterval(() => {
    const now = load();
    connection.heartbeat(now);
    writeBlocks(paths.blocks, now);
  }, HEARTBEAT_INTERVAL_MS);

  const stop = (code = 0): Promise<void> => {
    stopping ??= (async () => {
      log('info', `stopping endpoint ${config.name}`);
      clearInterval(heartbeat);
      await stopParts();
      loadReports.stop();
      containers.stop();
      outbox.flush();
      if (connection.ready && results.size > 0 && !(await results.drained(FLUSH_ON_STOP_MS))) {
        log('warn', `${results.size} completion(s) were not acknowledged by the hub before stopping`);
      }
      outbox.stop();
      connection.close();
      resultsFile.file.close();
      ledger.close();
      rmSync(scratchRootOf(config), { recursive: true, force: true });
      rmSync(paths.pid, { force: true });
      rmSync(paths.blocks, { force: true });
      log('info', `endpoint ${config.name} stopped`);
      resolveFinished(code);
    })();
    return stopping;
  };

  return { stop: () => stop(0), finished };
}

/** What `funcx-endpoint status` shows of the blocks (written at each heartbeat). */
function writeBlocks(path: string, load: EndpointLoad): void {
  try {
    const sessions = load.sessions ?? [];
    writeFileSync(path, JSON.stringify({ provider: load.provider, blocks: load.blocks ?? [], sessions, max_sessions: load.max_sessions, at: Date.now() }) + '\n');
  } catch {
    // status then shows no blocks; the endpoint serves on
  }
}

/** Resolves once some manager's workers are up; rejects with the reason the first one gives for failing. */
function firstManagerWaiter() {
  let settled = false;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  promise.catch(() => {});
  return {
    promise,
    ready: () => {
      if (!settled) (settled = true), resolve();
    },
    failed: (reason: string) => {
      if (!settled) (settled = true), reject(new Error(reason));
    },
  };
}

function endpointKilled(taskId: string): TaskCompletion {
  const evalue = `this task killed its endpoint's daemon twice; it is not run again`;
  return {
    task_id: taskId,
    state: 'failed',
    timestamps: { failed: nowMs() },
    error: { ename: 'EndpointKilled', evalue, traceback: [`EndpointKilled: ${evalue}`] },
  };
}
