/**
 * The daemon side of the scale benchmark, in this process: the very classes an endpoint daemon runs (its
 * interchange, manager port, ledger, outbox and results buffer; daemon.ts wires them the same way, plus a
 * provider), with simulated managers connected over TCP from a few child processes (sim-managers.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileLedger, Interchange, ManagerListener, Outbox, ResultsBuffer, managerSecret } from '@funcx/endpoint';
import { log } from './options.js';

const SIM = fileURLToPath(new URL('./sim-managers.js', import.meta.url));
export const WORKERS_PER_MANAGER = 64;
export const PREFETCH = 64;

/** What one run measured; µs of CPU per task by process. */
export interface ScaleFigures {
  path: string;
  managers: number;
  workers: number;
  connectS: number;
  rate: number;
  p50: number;
  p99: number;
  rssConnected: number;
  rssPerWorker: number;
  heapPerWorker: number;
  peakRss: number;
  peakHeap: number;
  window: number;
  cpu: { [process: string]: number };
  load: string;
}

/** The largest rss and heap in use seen while a run dispatches (sampled every 100 ms). */
export class MemoryPeak {
  rss: number;
  heap: number;
  private readonly timer: NodeJS.Timeout;

  constructor(start: NodeJS.MemoryUsage) {
    this.rss = start.rss;
    this.heap = start.heapUsed;
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    const now = process.memoryUsage();
    this.rss = Math.max(this.rss, now.rss);
    this.heap = Math.max(this.heap, now.heapUsed);
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/** A run's memory figures: once every manager connected, per connected worker, and the peaks while it dispatched. */
export function memoryFigures(daemon: ScaleDaemon, peak: MemoryPeak, workers: number) {
  const { base, connected } = daemon;
  return {
    connectS: daemon.connectS,
    rssConnected: connected.rss,
    rssPerWorker: (connected.rss - base.rss) / workers,
    heapPerWorker: (connected.heapUsed - base.heapUsed) / workers,
    peakRss: peak.rss,
    peakHeap: peak.heap,
  };
}

export interface ScaleDaemonOptions {
  managers: number;
  simProcesses: number;
}

export interface ScaleDaemon {
  interchange: Interchange;
  outbox: Outbox;
  results: ResultsBuffer;
  sims: ChildProcess[];
  connectS: number;
  /** process.memoryUsage() after a full GC, before the managers connected and once they all were. */
  base: NodeJS.MemoryUsage;
  connected: NodeJS.MemoryUsage;
  stop(): Promise<void>;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

export async function startScaleDaemon(options: ScaleDaemonOptions): Promise<ScaleDaemon> {
  const { managers, simProcesses } = options;
  const dir = mkdtempSync(join(tmpdir(), 'funcx-scale-'));
  const results = new ResultsBuffer();
  const outbox = new Outbox(results);
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
    Array.from({ length: simProcesses }, (_, i) => {
      const count = Math.floor(managers / simProcesses) + (i < managers % simProcesses ? 1 : 0);
      const sim = fork(SIM, [address, secret, String(count), String(WORKERS_PER_MANAGER), String(PREFETCH)], { stdio: 'inherit', execArgv: [] });
      sims.push(sim);
      return new Promise<void>((resolve, reject) => {
        sim.once('message', () => resolve());
        sim.once('exit', (code) => reject(new Error(`a simulator exited (${code})`)));
      });
    }),
  );
  const readyCount = () => {
    let ready = 0;
    for (const link of interchange.links) if (link.ready) ready++;
    return ready;
  };
  while (readyCount() < managers) await new Promise((resolve) => setTimeout(resolve, 50));
  const connectS = (performance.now() - started) / 1000;
  gc();
  const connected = process.memoryUsage();
  const stop = async () => {
    for (const sim of sims) {
      sim.removeAllListeners('exit');
      sim.send('stop');
    }
    await Promise.all(sims.map((sim) => (sim.exitCode === null ? new Promise((resolve) => sim.once('exit', resolve)) : undefined)));
    interchange.stop();
    await listener.close();
    outbox.stop();
    ledger.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { interchange, outbox, results, sims, connectS, base, connected, stop };
}
