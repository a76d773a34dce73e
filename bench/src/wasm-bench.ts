import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import {
  Manager,
  PodmanRuntime,
  WasmRunner,
  containerLaunch,
  writePodmanConfig,
  type WasmRunnerOptions,
  type WorkerLaunch,
} from '@funcx/endpoint';
import type { DispatchedTask, FunctionCode, TaskCompletion } from '@funcx/protocol';
import { makeTempDir, podmanProblem, removeTempDirs, testImages, wasmSource } from '@funcx/testing';
import { Completions } from './completions.js';
import { DirectWorker } from './floor.js';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { latencyFigures, ms, quantile, rate } from './stats.js';

/**
 * WebAssembly functions against the Python worker, in one run, through the endpoint's own pieces (a manager's
 * WasmRunner, a manager's Python workers), no hub: a no-op's cold start (a fresh instance of a cached module; a
 * fresh thread), warm round trips and one batch's throughput; then Pyodide's cold and warm start beside a
 * Python process worker's and a podman container's. Printed, never asserted.
 */
const options = benchOptions(2000);
const { samples, batch, workers } = options;
const python = execFileSync(options.python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const COLD_STARTS = 5;
const PYODIDE_SAMPLES = 300;
/** Batches of each kind; the median is printed (one batch on a shared machine says little). */
const BATCH_ROUNDS = 5;

interface Runs {
  submit(tasks: DispatchedTask[], functions: FunctionCode[]): void;
}

function task(functionId: string): DispatchedTask {
  return { task_id: randomUUID(), function_id: functionId, owner: 'bench', args: [], kwargs: {} };
}

async function runOne(target: Runs, completions: Completions, code: FunctionCode, first: boolean): Promise<TaskCompletion> {
  const one = task(code.function_id);
  const done = completions.wait(one.task_id);
  target.submit([one], first ? [code] : []);
  const completion = await done;
  if (completion.state !== 'success') throw new Error(`a no-op failed: ${JSON.stringify(completion.error)}`);
  return completion;
}

/** Round trips of single tasks (ms), then one batch's tasks per second. */
async function warmFigures(target: Runs, completions: Completions, code: FunctionCode, count: number, batchSize: number) {
  await runOne(target, completions, code, true);
  for (let i = 0; i < 200; i++) await runOne(target, completions, code, false);
  const times: number[] = [];
  const inside: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const completion = await runOne(target, completions, code, false);
    times.push(performance.now() - start);
    inside.push(completion.timestamps.success! - completion.timestamps.running!);
  }
  const rates: number[] = [];
  for (let round = 0; round < BATCH_ROUNDS; round++) {
    const tasks = Array.from({ length: batchSize }, () => task(code.function_id));
    const all = Promise.all(tasks.map((one) => completions.wait(one.task_id)));
    const start = performance.now();
    target.submit(tasks, []);
    await all;
    rates.push((batchSize * 1000) / (performance.now() - start));
  }
  return { latency: latencyFigures(times), inside: quantile(inside, 0.5), throughput: quantile(rates, 0.5) };
}

function wasmOptions(threads: number, pyodide: boolean): WasmRunnerOptions {
  return { threads, memoryMb: 64, timeLimitS: 60, scratchRoot: makeTempDir('funcx-bench-wasm-'), pyodide, isolation: 'process', log: () => {} };
}

/** A fresh pool of one thread: started until ready, and until its first result (the module posted to it). */
async function wasmThreadColdStarts(code: FunctionCode): Promise<{ ready: number[]; first: number[] }> {
  const ready: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const completions = new Completions();
    const start = performance.now();
    const runner = new WasmRunner(wasmOptions(1, false), completions);
    await runner.start();
    ready.push(performance.now() - start);
    runner.define([code]);
    await runOne(runner, completions, code, false);
    first.push(performance.now() - start);
    await runner.stop();
  }
  return { ready, first };
}

/** Pyodide in a fresh thread: started until its first result (the interpreter loaded), then warm no-ops. */
async function pyodideFigures(code: FunctionCode) {
  const first: number[] = [];
  let warm: number[] = [];
  for (let i = 0; i < 2; i++) {
    const completions = new Completions();
    const start = performance.now();
    const runner = new WasmRunner(wasmOptions(1, true), completions);
    await runner.start();
    runner.define([code]);
    await runOne(runner, completions, code, false);
    first.push(performance.now() - start);
    if (i === 1) {
      warm = [];
      for (let j = 0; j < PYODIDE_SAMPLES; j++) {
        const begin = performance.now();
        await runOne(runner, completions, code, false);
        warm.push(performance.now() - begin);
      }
    }
    await runner.stop();
  }
  return { first, warm: latencyFigures(warm) };
}

async function workerColdStart(launch?: (scratch: string) => WorkerLaunch): Promise<{ ready: number; first: number; warm: number }> {
  const ready: number[] = [];
  const first: number[] = [];
  let warm: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const start = performance.now();
    const worker = await DirectWorker.start(python, NOOP_SOURCE, 'noop', launch);
    ready.push(performance.now() - start);
    await worker.runBatch(1, 'c');
    first.push(performance.now() - start);
    if (i === 0) warm = await worker.latencies(PYODIDE_SAMPLES);
    await worker.stop();
  }
  return { ready: quantile(ready, 0.5), first: quantile(first, 0.5), warm: quantile(warm, 0.5) };
}

let podmanDir: { runDir: string; dir: string; env: NodeJS.ProcessEnv } | undefined;

function podmanLaunch(): ((scratch: string) => WorkerLaunch) | string {
  const problem = podmanProblem();
  if (problem) return problem;
  const images = testImages();
  if (typeof images === 'string') return images;
  const config = writePodmanConfig(makeTempDir('funcx-bench-podman-'), [images.imageStore!]);
  podmanDir = config;
  const runtime = new PodmanRuntime({ network: 'host', options: ['--pull=never'] }, config.env);
  return (scratch) =>
    containerLaunch({ runtime, image: images.python, scratch, name: `funcx-bench-${randomBytes(6).toString('hex')}`, pidFile: `${scratch}.pid`, labels: { 'funcx.endpoint': 'bench' } });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')).join('\n');
}

try {
  const loadBefore = loadavg();
  const noop: FunctionCode = { function_id: randomUUID(), source: wasmSource('noop'), entrypoint: 'noop', language: 'wasm' };
  const bareNoop: FunctionCode = { function_id: randomUUID(), source: wasmSource('noop-bare'), entrypoint: 'noop', language: 'wasm' };
  const pythonNoop: FunctionCode = { function_id: randomUUID(), source: NOOP_SOURCE, entrypoint: 'noop' };
  const pyodideNoop: FunctionCode = { ...pythonNoop, function_id: randomUUID(), isolation: 'wasm' };

  log(`wasm: ${COLD_STARTS} fresh threads…`);
  const threadCold = await wasmThreadColdStarts(noop);
  log(`wasm: ${samples} round trips and a batch of ${batch} through ${workers} threads…`);
  const wasmCompletions = new Completions();
  const runner = new WasmRunner(wasmOptions(workers, false), wasmCompletions);
  await runner.start();
  const wasmRunner = { submit: (tasks: DispatchedTask[], functions: FunctionCode[]) => (runner.define(functions), runner.submit(tasks)) };
  const wasm = await warmFigures(wasmRunner, wasmCompletions, noop, samples, batch);
  log(`wasm without a memory: the same…`);
  const bare = await warmFigures(wasmRunner, wasmCompletions, bareNoop, samples, batch);
  await runner.stop();

  log(`python: ${samples} round trips and a batch of ${batch} through ${workers} workers…`);
  const pythonCompletions = new Completions();
  const manager = new Manager({ size: workers, python }, pythonCompletions);
  await manager.start();
  const py = await warmFigures(manager, pythonCompletions, pythonNoop, samples, batch);
  await manager.stop();

  log('pyodide: 2 fresh interpreters and warm no-ops…');
  const pyodide = await pyodideFigures(pyodideNoop);
  log(`python process worker: ${COLD_STARTS} cold starts…`);
  const processCold = await workerColdStart();
  const podman = podmanLaunch();
  let podmanCold: { ready: number; first: number; warm: number } | undefined;
  if (typeof podman === 'string') log(`podman: skipped (${podman})`);
  else {
    log(`podman container: ${COLD_STARTS} cold starts…`);
    podmanCold = await workerColdStart(podman);
  }
  const loadAfter = loadavg();

  console.log(`\nfuncX WebAssembly benchmark: a no-op function (node ${process.version}, ${python}, ${new Date().toISOString()})`);
  console.log(`load average before ${loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${loadAfter.map((x) => x.toFixed(2)).join(' ')}\n`);
  console.log(table([
    ['', 'round trip p50', 'p99', `batch of ${batch} (median of ${BATCH_ROUNDS})`, 'in the worker p50'],
    [`wasm (WasmRunner, ${workers} threads)`, ms(wasm.latency.p50), ms(wasm.latency.p99), rate(wasm.throughput), ms(wasm.inside)],
    ['wasm, a module without memory', ms(bare.latency.p50), ms(bare.latency.p99), rate(bare.throughput), ms(bare.inside)],
    [`python (Manager, ${workers} workers)`, ms(py.latency.p50), ms(py.latency.p99), rate(py.throughput), ms(py.inside)],
    ['wasm over python', `${(py.latency.p50 / wasm.latency.p50).toFixed(1)}x faster`, '', `${(wasm.throughput / py.throughput).toFixed(1)}x (without memory ${(bare.throughput / py.throughput).toFixed(1)}x)`, ''],
  ]));
  console.log(`\nwasm cold start: a fresh instance of a cached module, in its thread (every wasm task is one): ${ms(wasm.inside)} p50`);
  console.log(`a fresh thread: started until ready ${ms(quantile(threadCold.ready, 0.5))}, until its first result ${ms(quantile(threadCold.first, 0.5))} (medians of ${COLD_STARTS})\n`);
  const rows = [
    ['', 'cold: to the first result', 'warm round trip p50'],
    ['Pyodide in a pool thread', ms(quantile(pyodide.first, 0.5)), ms(pyodide.warm.p50)],
    ['Python process worker', ms(processCold.first), ms(processCold.warm)],
  ];
  rows.push(['podman container (runc)', podmanCold ? ms(podmanCold.first) : 'skipped', podmanCold ? ms(podmanCold.warm) : typeof podman === 'string' ? podman.slice(0, 40) : '']);
  console.log(table(rows));
  console.log('\nround trip: submit to completion through the pool or the manager, one task at a time; batch: one submission of');
  console.log('that many no-ops; in the worker: from when the worker (thread) started the task until it finished it.');
  console.log("Pyodide's cold start is a fresh thread loading the interpreter (median of 2); the process worker's and the");
  console.log("container's are spawn to the first no-op's result through the worker's pipes (median of 5).");
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  if (podmanDir) {
    // Containers still being removed keep their mounts: they go first, then the bench's podman folders.
    try {
      execFileSync('podman', ['rm', '--all', '--force', '--time', '0'], { env: { ...process.env, ...podmanDir.env }, stdio: 'ignore' });
      // podman may still be writing its run folder for a moment.
      rmSync(podmanDir.runDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      rmSync(dirname(podmanDir.dir), { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch (error) {
      log(`could not remove the bench's podman folders (${(error as Error).message}): ${dirname(podmanDir.dir)}`);
    }
  }
  removeTempDirs();
}
