import { rmSync, writeFileSync } from 'node:fs';
import { HEARTBEAT_INTERVAL_MS, type DispatchedTask, type FunctionCode, type TaskCompletion } from '@funcx/protocol';
import type { EndpointConfig } from './config.js';
import { HubConnection } from './connection.js';
import { CRASHES_TO_BLAME } from './crash-recovery.js';
import { daemonContainers } from './daemon-containers.js';
import { scratchRootOf, workerSettings } from './daemon-workers.js';
import { EXIT_NO_RESTART } from './exit-codes.js';
import { FileLedger } from './ledger.js';
import { LoadReportingReporter } from './load-reports.js';
import type { Log } from './log.js';
import { Outbox } from './outbox.js';
import { endpointPaths } from './paths.js';
import { createProvider } from './providers/index.js';
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
  // Before the ledger is read: a config the daemon cannot run with leaves the previous daemon's ledger as it was.
  const settings = workerSettings(config, options.env ?? process.env, log);
  const containers = daemonContainers(config, options.env ?? process.env, log);
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
  const reporter = new LoadReportingReporter(outbox, () => connection.heartbeat(provider.load()));
  const provider = createProvider(config.provider, {
    workers: config.workers,
    python: config.python,
    manager: {
      ...settings,
      ledger,
      containers: containers.pool,
      onContainerProblem: (image, message) => containers.failed(image, message),
    },
    reporter,
    log,
  });
  log('info', `starting endpoint ${config.name}: ${config.workers} ${config.python} worker(s), provider ${config.provider}`);
  await provider.start();
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
    provider.submit(fresh, functions);
  };

  const connection = new HubConnection({
    hubUrl: config.hub_url,
    endpointToken: config.endpoint_token,
    log,
    hello: () => ({
      held_task_ids: [...provider.held(), ...results.ids()],
      load: provider.load(),
      version: ENDPOINT_VERSION,
      ...(uncharged.length > 0 ? { uncharged_task_ids: uncharged } : {}),
      // The hub refuses tasks of other functions before they travel; the endpoint checks again.
      ...(config.allowed_functions ? { allowed_functions: config.allowed_functions } : {}),
    }),
    onDispatch,
    onCancel: (taskIds) => provider.cancel(taskIds),
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
  connection.start();
  const heartbeat = setInterval(() => connection.heartbeat(provider.load()), HEARTBEAT_INTERVAL_MS);

  const stop = (code = 0): Promise<void> => {
    stopping ??= (async () => {
      log('info', `stopping endpoint ${config.name}`);
      clearInterval(heartbeat);
      await provider.stop();
      reporter.stop();
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
      log('info', `endpoint ${config.name} stopped`);
      resolveFinished(code);
    })();
    return stopping;
  };

  return { stop: () => stop(0), finished };
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
