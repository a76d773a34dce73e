import { cpus, hostname, totalmem } from 'node:os';
import { rmSync } from 'node:fs';
import type { DaemonFrame, DispatchedTask, EndpointLoad, FunctionCode, NodeResources } from '@funcx/protocol';
import { DaemonLink, parseDaemonAddress } from './daemon-link.js';
import { LoadReports, withLoadReports } from './load-reports.js';
import type { LogLevel } from './log.js';
import { Manager } from './manager.js';
import { blockNodes, managerOptions, type ManagerSettings } from './manager-settings.js';
import { MpiRunner } from './mpi-runner.js';
import { wasmRunnerOptions } from './config-wasm.js';
import { resolveLimits } from './config-workers.js';
import { WasmRunner } from './wasm/wasm-runner.js';
import { Outbox } from './outbox.js';
import { ResultsBuffer } from './results-buffer.js';
import { ENDPOINT_VERSION } from './version.js';
import { MANAGER_HEARTBEAT_MS } from '@funcx/protocol';

/** What a manager is told by the provider that started it (environment variables of its block). */
export interface ManagerLaunch {
  /** FUNCX_MANAGER_DAEMON: HOST:PORT of the daemon. */
  daemon: string;
  /** FUNCX_MANAGER_SECRET. */
  secret: string;
  /** FUNCX_BLOCK_ID. */
  blockId: string;
  env: NodeJS.ProcessEnv;
}

export function launchFromEnv(env: NodeJS.ProcessEnv): ManagerLaunch {
  const daemon = env.FUNCX_MANAGER_DAEMON;
  const secret = env.FUNCX_MANAGER_SECRET;
  if (!daemon || !secret) throw new Error('FUNCX_MANAGER_DAEMON and FUNCX_MANAGER_SECRET must be set: a manager is started by its endpoint\'s provider');
  return { daemon, secret, blockId: env.FUNCX_BLOCK_ID ?? '', env };
}

function nodeResources(env: NodeJS.ProcessEnv): NodeResources {
  const visible = env.CUDA_VISIBLE_DEVICES?.split(',').filter(Boolean) ?? [];
  return { cpus: cpus().length, memory_mb: Math.floor(totalmem() / 2 ** 20), accelerators: visible };
}

/**
 * One node's manager: connects to the daemon, registers, runs its workers as the daemon's welcome says, takes
 * tasks in batches and sends back what they do, batched (manager-wire.ts). Resolves with the exit code once it
 * has stopped: told to, drained, or its daemon gone (it never outlives its daemon: its workers stop with it).
 */
export async function runManager(launch: ManagerLaunch): Promise<number> {
  const { env } = launch;
  let manager: Manager | undefined;
  let mpi: MpiRunner | undefined;
  let wasm: WasmRunner | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let draining = false;
  let stopping: Promise<void> | undefined;
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const resources = nodeResources(env);

  const log = (level: LogLevel, line: string) => {
    if (link.ready) link.send({ t: 'log', level, line });
    else process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} manager: ${line}\n`);
  };
  const held = () => (manager?.held().length ?? 0) + (mpi?.held ?? 0) + (wasm?.held ?? 0);
  const capacity = () => {
    if (!manager || draining) return 0;
    let slots = prefetch;
    // A worker kept for a session takes only that session's tasks, which the daemon sends whatever the room.
    for (const worker of manager.pool.workers) if (worker.ready && !worker.retiring && worker.session === undefined) slots += worker.limit;
    return slots + (mpi?.capacity ?? 0) + (wasm?.capacity ?? 0);
  };
  let prefetch = 0;
  const load = (): EndpointLoad => {
    if (!manager) return { workers_total: 0, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
    const own = manager.load();
    // Tasks in the WebAssembly pool count as running or queued; its threads are not Python workers.
    return { ...own, running: own.running + (mpi?.held ?? 0) + (wasm?.running ?? 0), queued: own.queued + (wasm?.queued ?? 0), sessions: manager.sessionStatus() };
  };
  const sendLoad = () => link.send({ t: 'load', load: load(), capacity: capacity() });
  // A task that starts or ends, or a session that changes, reaches the daemon's load at once, and from there the hub's.
  const loadReports = new LoadReports(sendLoad);

  const stop = (code: number): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(heartbeat);
      loadReports.stop();
      // The daemon hears at once that this manager is going: what it held goes back to its queue now, not once
      // the workers have stopped (a scancelled block may be killed before that).
      outbox.flush();
      await link.end();
      outbox.stop();
      mpi?.stop();
      await wasm?.stop();
      await manager?.stop();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
      resolveExit(code);
    })();
    return stopping;
  };
  const finishDrain = () => {
    if (draining && held() === 0) void stop(0);
  };

  const results = new ResultsBuffer();
  const outbox = new Outbox(results);
  let scratch: string | undefined;
  const start = async (managerId: string, settings: ManagerSettings) => {
    try {
      const options = managerOptions(settings, managerId, resources, env, log);
      scratch = options.scratchRoot;
      prefetch = settings.config.prefetch_capacity ?? options.size;
      const reporter = withLoadReports(
        {
          stateChanged: outbox.stateChanged.bind(outbox),
          output: outbox.output.bind(outbox),
          done: (completion: Parameters<Outbox['done']>[0]) => {
            outbox.done(completion);
            if (draining) setImmediate(finishDrain);
          },
        },
        loadReports,
      );
      manager = new Manager(
        {
          ...options,
          queuedState: 'waiting-for-launch',
          ...(settings.config.session_idle_s !== undefined ? { sessionIdleMs: settings.config.session_idle_s * 1000 } : {}),
          onSessionGone: (owner, name, reason) => {
            link.send({ t: 'session-gone', owner, name, reason });
            loadReports.soon();
          },
          onSessionsChanged: () => loadReports.soon(),
          log: (line) => log('warn', line),
          onContainerProblem: (image, message) => link.send({ t: 'container-problem', image, message }),
        },
        reporter,
      );
      mpi = new MpiRunner(settings.config, blockNodes(env), reporter, log);
      wasm = new WasmRunner(wasmRunnerOptions(settings.config, options.scratchRoot!, resolveLimits(settings.config.limits).task.outputBytes, log), reporter);
      await Promise.all([manager.start(), wasm.start()]);
    } catch (error) {
      link.send({ t: 'failed', reason: (error as Error).message });
      await stop(1);
      return;
    }
    sendLoad();
    heartbeat = setInterval(sendLoad, MANAGER_HEARTBEAT_MS);
  };

  const onFrame = (frame: DaemonFrame) => {
    switch (frame.t) {
      case 'welcome':
        if (!manager) void start(frame.manager_id, frame.settings as unknown as ManagerSettings);
        return;
      case 'tasks':
        return submit(frame.tasks, frame.functions);
      case 'cancel':
        manager?.cancel(frame.task_ids);
        mpi?.cancel(frame.task_ids);
        wasm?.cancel(frame.task_ids);
        return;
      case 'end-sessions':
        manager?.endSessions(frame.sessions);
        return sendLoad();
      case 'drain':
        draining = true;
        sendLoad();
        return finishDrain();
      case 'stop':
        void stop(0);
        return;
    }
  };
  const submit = (tasks: DispatchedTask[], functions: FunctionCode[]) => {
    if (!manager || !mpi || !wasm) return;
    mpi.define(functions);
    wasm.define(functions);
    let plain = tasks.filter((task) => !task.resource_specification);
    if (plain.length !== tasks.length) mpi.submit(tasks.filter((task) => task.resource_specification));
    const inWasm = plain.filter((task) => wasm!.takes(task));
    if (inWasm.length > 0) {
      wasm.submit(inWasm);
      plain = plain.filter((task) => !wasm!.takes(task));
    }
    manager.submit(plain, functions);
  };

  const link = new DaemonLink(parseDaemonAddress(launch.daemon), onFrame, (reason) => {
    if (stopping) return;
    // The daemon died (or its connection did): this manager exits at once and its workers die with it (they
    // die with their parent), as they did with the daemon before managers were their own program; the next
    // daemon removes the containers they leave, as it removes any a dead daemon left.
    process.stderr.write(`funcx manager: ${reason}; exiting\n`);
    mpi?.stop();
    resolveExit(0);
  });
  link.capacity = capacity;
  outbox.sink = link;
  await link.connect();
  link.send({
    t: 'register',
    secret: launch.secret,
    block_id: launch.blockId,
    node: hostname(),
    pid: process.pid,
    workers: 0,
    resources,
    block_nodes: blockNodes(env),
    version: ENDPOINT_VERSION,
  });
  process.once('SIGTERM', () => void stop(0));
  process.once('SIGINT', () => void stop(0));
  return exited;
}
