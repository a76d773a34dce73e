/**
 * The scale benchmark through the hub: a real hub (its own process, embedded store), the daemon side of
 * scale-daemon.ts connected to it with the endpoint's own HubConnection, and a client in its own process
 * (scale-client.ts) submitting no-op tasks in batches while it counts their final events.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HEARTBEAT_INTERVAL_MS } from '@funcx/protocol';
import { HubConnection, readConfig } from '@funcx/endpoint';
import { cleanup, configureEndpoint, makeTempDir, startHub } from '@funcx/testing';
import { log } from './options.js';
import { cpuNs, cpuOf, loadAverage, perTask } from './scale-cpu.js';
import { MemoryPeak, memoryFigures, WORKERS_PER_MANAGER, startScaleDaemon, type ScaleFigures } from './scale-daemon.js';

const CLIENT = fileURLToPath(new URL('./scale-client.js', import.meta.url));
const ENDPOINT = 'scale';

interface ClientReport {
  seconds: number;
  p50: number;
  p99: number;
  failed: number;
}

export async function hubRun(options: { managers: number; tasks: number; simProcesses: number; window: number }): Promise<ScaleFigures> {
  const { managers, tasks, simProcesses, window } = options;
  const hub = await startHub({ funcxHome: makeTempDir('funcx-scale-hub-'), extraArgs: ['--rate-limit', '0', '--request-rate-limit', '0'] });
  await configureEndpoint(hub, { name: ENDPOINT, workers: 1 });
  const config = readConfig(ENDPOINT, hub.env());
  const daemon = await startScaleDaemon({ managers, simProcesses });
  const { interchange, outbox, results, sims, connected } = daemon;
  const workers = managers * WORKERS_PER_MANAGER;
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const connection = new HubConnection({
    hubUrl: config.hub_url,
    endpointToken: config.endpoint_token,
    log: (level, line) => {
      if (level !== 'info') log(`daemon: ${line}`);
    },
    hello: () => ({ held_task_ids: [...interchange.held(), ...results.ids()], load: interchange.load(), version: 'scale' }),
    onDispatch: (batch, functions) => interchange.submit(batch, functions),
    onCancel: (taskIds) => interchange.cancel(taskIds),
    onReady: () => {
      results.resendAll();
      outbox.flush();
      onReady();
    },
    onRejected: (message) => log(`daemon: ${message}`),
  });
  outbox.sink = connection;
  connection.start();
  const heartbeat = setInterval(() => connection.heartbeat(interchange.load()), HEARTBEAT_INTERVAL_MS);
  await ready;
  log(`through the hub: ${managers} managers (${workers.toLocaleString('en-US')} workers) connected in ${daemon.connectS.toFixed(1)} s; a client submits ${tasks.toLocaleString('en-US')} no-op tasks (load ${loadAverage()})…`);

  const client = fork(CLIENT, [hub.url, hub.token, ENDPOINT, String(tasks), String(window)], { stdio: 'inherit', execArgv: [] });
  const messages: unknown[] = [];
  let wake: (() => void) | undefined;
  client.on('message', (message) => {
    messages.push(message);
    wake?.();
  });
  const next = async <T>(): Promise<T> => {
    while (messages.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return messages.shift() as T;
  };
  const peak = new MemoryPeak(connected);
  await next<{ ready: true }>();
  const pids = [hub.process.pid, client.pid!, ...sims.map((sim) => sim.pid!)];
  const daemonBefore = cpuNs('self');
  const before = cpuOf(pids);
  client.send('go');
  const report = await next<ClientReport>();
  const daemonAfter = cpuNs('self');
  const after = cpuOf(pids);
  const load = loadAverage();
  peak.stop();
  if (interchange.links.size < managers) log(`  ${managers - interchange.links.size} managers were lost during the run`);
  clearInterval(heartbeat);
  if (report.failed > 0) log(`${report.failed} tasks did not end in success`);
  client.kill();
  connection.close();
  await daemon.stop();
  await hub.stop();
  await cleanup();
  const simUs = sims.reduce((sum, _, i) => sum + perTask(before[2 + i], after[2 + i], tasks), 0);
  return {
    path: 'hub',
    managers,
    workers,
    ...memoryFigures(daemon, peak, workers),
    rate: tasks / report.seconds,
    p50: report.p50,
    p99: report.p99,
    window,
    cpu: {
      hub: perTask(before[0], after[0], tasks),
      daemon: perTask(daemonBefore, daemonAfter, tasks),
      client: perTask(before[1], after[1], tasks),
      [`${simProcesses} simulators`]: simUs,
    },
    load,
  };
}
