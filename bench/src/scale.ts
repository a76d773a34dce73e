/**
 * The scale benchmark: one endpoint daemon's interchange (its queue, manager port, ledger, outbox and results
 * buffer, the very classes the daemon runs) with thousands of simulated managers of 64 workers each connected
 * over real TCP sockets from a few processes (sim-managers.ts), dispatching a million no-op tasks. Prints
 * tasks/s, dispatch latency (handed to the daemon -> its completion reaches the outbox's hub side) and memory.
 * Figures are printed, never asserted. FUNCX_SCALE_TASKS, FUNCX_SCALE_MANAGERS (comma list) override.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DispatchedTask, TaskCompletion } from '@funcx/protocol';
import { FileLedger, Interchange, ManagerListener, Outbox, ResultsBuffer, managerSecret } from '@funcx/endpoint';
import { quantile } from './stats.js';

const SIM = fileURLToPath(new URL('./sim-managers.js', import.meta.url));
const TASKS = Number(process.env.FUNCX_SCALE_TASKS ?? 1_000_000);
const MANAGER_COUNTS = (process.env.FUNCX_SCALE_MANAGERS ?? '2048,4096').split(',').map(Number);
const WORKERS = 64;
const PREFETCH = 64;
const SIM_PROCESSES = 4;
const BATCH = 10_000;
const SAMPLE_EVERY = 97;

const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function taskId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

async function run(managers: number) {
  const dir = mkdtempSync(join(tmpdir(), 'funcx-scale-'));
  let completed = 0;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let onAllDone!: () => void;
  const allDone = new Promise<void>((resolve) => (onAllDone = resolve));
  const results = new ResultsBuffer();
  const outbox = new Outbox(results);
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
  const { ledger } = FileLedger.open(join(dir, 'ledger'), (error) => log(`ledger: ${error.message}`));
  const interchange = new Interchange({ reporter: outbox, log: () => {}, ledger, maxRetries: 3 });
  const secret = managerSecret();
  const listener = new ManagerListener({ host: '127.0.0.1', port: 0, secret, interchange, settings: {}, log: () => {} });
  const address = await listener.listen();
  gc();
  const base = process.memoryUsage();
  const sims: ChildProcess[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: SIM_PROCESSES }, (_, i) => {
      const count = Math.floor(managers / SIM_PROCESSES) + (i < managers % SIM_PROCESSES ? 1 : 0);
      const sim = fork(SIM, [address, secret, String(count), String(WORKERS), String(PREFETCH)], { stdio: 'inherit' });
      sims.push(sim);
      return new Promise<void>((resolve, reject) => {
        sim.once('message', () => resolve());
        sim.once('exit', (code) => reject(new Error(`a simulator exited (${code})`)));
      });
    }),
  );
  while ([...interchange.links].filter((link) => link.ready).length < managers) await new Promise((resolve) => setTimeout(resolve, 50));
  const connectS = (performance.now() - started) / 1000;
  gc();
  const connected = process.memoryUsage();
  const workers = managers * WORKERS;
  log(`${managers} managers (${workers.toLocaleString('en-US')} workers) connected in ${connectS.toFixed(1)} s; dispatching ${TASKS.toLocaleString('en-US')} no-op tasks…`);

  const window = Math.max(BATCH * 4, managers * (WORKERS + PREFETCH));
  const functions = [{ function_id: 'f0000000-0000-4000-8000-000000000000', source: 'None' }];
  let submitted = 0;
  let peakRss = connected.rss;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const feed = () => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
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
  for (const sim of sims) sim.send('stop');
  interchange.stop();
  await listener.close();
  outbox.stop();
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    managers,
    workers,
    rate: TASKS / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    perWorker: (connected.rss - base.rss) / workers,
    heapPerWorker: (connected.heapUsed - base.heapUsed) / workers,
    rss: connected.rss,
    peakRss,
    connectS,
  };
}

const rows = [['workers (managers x 64)', 'tasks/s', 'dispatch p50', 'p99', 'rss connected', 'per worker (rss / heap)', 'peak rss']];
for (const managers of MANAGER_COUNTS) {
  const figures = await run(managers);
  rows.push([
    `${figures.workers.toLocaleString('en-US')} (${managers} x ${WORKERS})`,
    Math.round(figures.rate).toLocaleString('en-US'),
    `${figures.p50.toFixed(1)} ms`,
    `${figures.p99.toFixed(1)} ms`,
    mb(figures.rss),
    `${Math.round(figures.perWorker)} B / ${Math.round(figures.heapPerWorker)} B`,
    mb(figures.peakRss),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log(`\nfuncX scale benchmark: one daemon, simulated managers over TCP, ${TASKS.toLocaleString('en-US')} no-op tasks each run`);
console.log(`(node ${process.version}, ${SIM_PROCESSES} simulator processes, prefetch ${PREFETCH} per manager, ${new Date().toISOString()})\n`);
for (const row of rows) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
