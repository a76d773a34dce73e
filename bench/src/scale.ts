/**
 * The scale benchmark: one endpoint daemon's interchange with thousands of simulated managers of 64 workers each
 * connected over real TCP sockets (scale-daemon.ts, sim-managers.ts), dispatching a million no-op tasks; with
 * --hub, the same tasks submitted by a client through a real hub (scale-hub.ts). Prints tasks/s, dispatch
 * latency, the daemon's memory, the CPU each process spent per task and the load average. Figures are printed,
 * never asserted.
 *   node --expose-gc bench/dist/src/scale.js [--tasks N] [--managers 2048,4096] [--sims 2] [--window N] [--hub | --hub-only]
 * --window: most tasks unfinished at once (default: what every manager may hold, workers plus prefetch).
 * FUNCX_SCALE_TASKS and FUNCX_SCALE_MANAGERS give the defaults of --tasks and --managers.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { DispatchedTask, TaskCompletion } from '@funcx/protocol';
import { log } from './options.js';
import { cpuNs, cpuOf, loadAverage, perTask } from './scale-cpu.js';
import { MemoryPeak, memoryFigures, PREFETCH, WORKERS_PER_MANAGER, startScaleDaemon, type ScaleFigures } from './scale-daemon.js';
import { hubRun } from './scale-hub.js';
import { quantile } from './stats.js';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: process.env.FUNCX_SCALE_TASKS ?? '1000000' },
    managers: { type: 'string', default: process.env.FUNCX_SCALE_MANAGERS ?? '2048,4096' },
    sims: { type: 'string', default: '2' },
    window: { type: 'string' },
    hub: { type: 'boolean', default: false },
    'hub-only': { type: 'boolean', default: false },
    /** Internal: this process is one run (direct or hub) and prints its figures as JSON. */
    run: { type: 'string' },
  },
});
const TASKS = Number(values.tasks);
const MANAGER_COUNTS = values.managers!.split(',').map(Number);
const SIM_PROCESSES = Number(values.sims);
const BATCH = 10_000;
const windowFor = (managers: number) => (values.window ? Number(values.window) : managers * (WORKERS_PER_MANAGER + PREFETCH));
const SAMPLE_EVERY = 97;
const PROGRESS_MS = 5_000;

function taskId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

async function directRun(managers: number): Promise<ScaleFigures> {
  const daemon = await startScaleDaemon({ managers, simProcesses: SIM_PROCESSES });
  const { interchange, outbox, sims, connected } = daemon;
  const workers = managers * WORKERS_PER_MANAGER;
  log(`${managers} managers (${workers.toLocaleString('en-US')} workers) connected in ${daemon.connectS.toFixed(1)} s; dispatching ${TASKS.toLocaleString('en-US')} no-op tasks (load ${loadAverage()})…`);
  let completed = 0;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let onAllDone!: () => void;
  const allDone = new Promise<void>((resolve) => (onAllDone = resolve));
  outbox.sink = {
    ready: true,
    sendStates: () => {},
    sendOutputs: () => {},
    sendDone: (completions: TaskCompletion[]) => {
      const now = performance.now();
      for (const completion of completions) {
        const at = sentAt.get(completion.task_id);
        if (at !== undefined) {
          latencies.push(now - at);
          sentAt.delete(completion.task_id);
        }
      }
      completed += completions.length;
      if (completed >= TASKS) onAllDone();
      return Promise.resolve(completions.map((completion) => completion.task_id));
    },
  };

  const window = windowFor(managers);
  const functions = [{ function_id: 'f0000000-0000-4000-8000-000000000000', source: 'None' }];
  let submitted = 0;
  const peak = new MemoryPeak(connected);
  const simPids = sims.map((sim) => sim.pid!);
  const daemonBefore = cpuNs('self');
  const simsBefore = cpuOf(simPids);
  const t0 = performance.now();
  const ticker = setInterval(() => log(`  direct: ${completed.toLocaleString('en-US')} done after ${((performance.now() - t0) / 1000).toFixed(0)} s (load ${loadAverage()})`), PROGRESS_MS);
  await new Promise<void>((resolve) => {
    const feed = () => {
      while (submitted < TASKS && submitted - completed < window) {
        const count = Math.min(BATCH, TASKS - submitted);
        const tasks: DispatchedTask[] = new Array(count);
        const now = performance.now();
        for (let i = 0; i < count; i++) {
          const id = taskId(submitted + i);
          tasks[i] = { task_id: id, function_id: functions[0].function_id, owner: 'bench', args: [], kwargs: {} };
          if ((submitted + i) % SAMPLE_EVERY === 0) sentAt.set(id, now);
        }
        interchange.submit(tasks, submitted === 0 ? functions : []);
        submitted += count;
      }
      if (submitted >= TASKS) return resolve();
      setTimeout(feed, 1);
    };
    feed();
  });
  await allDone;
  const seconds = (performance.now() - t0) / 1000;
  const daemonAfter = cpuNs('self');
  const simsAfter = cpuOf(simPids);
  clearInterval(ticker);
  peak.stop();
  if (interchange.links.size < managers) log(`  ${managers - interchange.links.size} managers were lost during the run`);
  const load = loadAverage();
  await daemon.stop();
  const simUs = simsAfter.reduce((sum, after, i) => sum + perTask(simsBefore[i], after, TASKS), 0);
  return {
    path: 'daemon',
    managers,
    workers,
    ...memoryFigures(daemon, peak, workers),
    rate: TASKS / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    window,
    cpu: { 'daemon (with the feeding loop)': perTask(daemonBefore, daemonAfter, TASKS), [`${SIM_PROCESSES} simulators`]: simUs },
    load,
  };
}

/** Each run in a process of its own, so that its memory starts from nothing and no run's garbage is another's. */
function runApart(path: 'direct' | 'hub', managers: number): Promise<ScaleFigures> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--run', path, '--managers', String(managers), '--tasks', String(TASKS), '--sims', String(SIM_PROCESSES)];
  if (values.window) args.push('--window', values.window);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ScaleFigures) : reject(new Error(`the ${path} run exited with ${code}`)))),
  );
}

if (values.run) {
  const managers = MANAGER_COUNTS[0];
  const figures = values.run === 'hub' ? await hubRun({ managers, tasks: TASKS, simProcesses: SIM_PROCESSES, window: windowFor(managers) }) : await directRun(managers);
  console.log(JSON.stringify(figures));
  process.exit(0);
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const figures: ScaleFigures[] = [];
for (const managers of MANAGER_COUNTS) {
  if (!values['hub-only']) figures.push(await runApart('direct', managers));
  if (values.hub || values['hub-only']) figures.push(await runApart('hub', managers));
}
const rows = [['path', 'workers (managers x 64)', 'window', 'connect', 'tasks/s', 'dispatch p50', 'p99', 'rss connected', 'per worker (rss / heap)', 'peak rss / heap', 'load (1/5/15 min)']];
for (const f of figures) {
  rows.push([
    f.path,
    `${f.workers.toLocaleString('en-US')} (${f.managers} x ${WORKERS_PER_MANAGER})`,
    f.window.toLocaleString('en-US'),
    `${f.connectS.toFixed(1)} s`,
    Math.round(f.rate).toLocaleString('en-US'),
    `${f.p50.toFixed(1)} ms`,
    `${f.p99.toFixed(1)} ms`,
    mb(f.rssConnected),
    `${Math.round(f.rssPerWorker)} B / ${Math.round(f.heapPerWorker)} B`,
    `${mb(f.peakRss)} / ${mb(f.peakHeap)}`,
    f.load,
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log(`\nfuncX scale benchmark: one daemon, simulated managers over TCP, ${TASKS.toLocaleString('en-US')} no-op tasks each run`);
console.log(`(node ${process.version}, ${SIM_PROCESSES} simulator processes, prefetch ${PREFETCH} per manager, ${new Date().toISOString()})\n`);
for (const row of rows) console.log(row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
console.log('\nCPU per task (µs, from /proc/PID/schedstat over the dispatch):');
for (const f of figures) {
  const parts = Object.entries(f.cpu).map(([name, us]) => `${name} ${us.toFixed(1)}`);
  const total = Object.values(f.cpu).reduce((sum, us) => sum + us, 0);
  console.log(`  ${f.path}, ${f.workers.toLocaleString('en-US')} workers: ${parts.join(', ')}; all ${total.toFixed(1)}`);
}
