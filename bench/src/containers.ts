import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  BwrapImageRuntime,
  BwrapRuntime,
  containerLaunch,
  Manager,
  PodmanRuntime,
  workerLaunch,
  writePodmanConfig,
  type ContainerRuntime,
  type ManagerOptions,
  type PodmanConfig,
  type WorkerLaunch,
} from '@funcx/endpoint';
import { makeTempDir, podmanProblem, removeTempDirs, testImages } from '@funcx/testing';
import { Completions } from './completions.js';
import { DirectWorker } from './floor.js';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { latencyFigures, ms, quantile, rate } from './stats.js';

/**
 * Workers in containers on this machine against a bare worker: the cold start (spawn to ready, and to the
 * first result) and the warm hit (a no-op's round trip through the worker's pipes, and through the endpoint's
 * manager), for a plain process, bubblewrap on the host's root, bubblewrap over the test image's root file
 * system and podman. Printed, never asserted.
 */
const options = benchOptions(2000);
const { samples, batch } = options;
// The interpreter itself, past launcher shims (pyenv's adds tens of milliseconds to every start).
const python = execFileSync(options.python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const COLD_STARTS = 8;
const MANAGER_SAMPLES = 1000;

const images = testImages();
if (typeof images === 'string') throw new Error(`the test images cannot be built here: ${images}`);
const podmanSkip = podmanProblem();
let podman: PodmanConfig | undefined;

interface Variant {
  name: string;
  /** How one worker starts, in its scratch directory (undefined: the bare worker). */
  launch?: (scratch: string) => WorkerLaunch;
  /** The runtime and image the manager's pool uses for it. */
  pool?: Partial<ManagerOptions>;
}

function inContainer(runtime: ContainerRuntime): (scratch: string) => WorkerLaunch {
  return (scratch) =>
    containerLaunch({
      runtime,
      image: (images as { python: string }).python,
      scratch,
      name: `funcx-bench-${randomBytes(6).toString('hex')}`,
      pidFile: `${scratch}.pid`,
      labels: { 'funcx.endpoint': 'bench' },
    });
}

function variants(): Variant[] {
  if (typeof images === 'string') throw new Error(images);
  const sandbox = new BwrapRuntime({ hide: [], network: true });
  const rootfs = new BwrapImageRuntime({ network: 'host', options: [], imageDir: images.imageDir });
  const list: Variant[] = [
    { name: 'bare worker (plain process)' },
    { name: 'bubblewrap sandbox (host root)', launch: (scratch) => workerLaunch({ python, scratch, runtime: sandbox }), pool: { runtime: sandbox } },
    {
      name: 'bubblewrap container (image rootfs)',
      launch: inContainer(rootfs),
      pool: { containers: { runtime: rootfs, defaultImage: images.python, endpointId: 'bench' } },
    },
  ];
  if (podmanSkip) log(`podman: skipped (${podmanSkip})`);
  else {
    podman = writePodmanConfig(makeTempDir('funcx-bench-podman-'), [images.imageStore!]);
    const runtime = new PodmanRuntime({ network: 'host', options: ['--pull=never'] }, podman.env);
    list.push({
      name: 'podman container (runc)',
      launch: inContainer(runtime),
      pool: { containers: { runtime, defaultImage: images.python, endpointId: 'bench' } },
    });
  }
  return list;
}

/** Spawn to ready, and spawn to the first no-op's result, COLD_STARTS times. */
async function coldStarts(variant: Variant): Promise<{ ready: number[]; first: number[] }> {
  const ready: number[] = [];
  const first: number[] = [];
  for (let i = 0; i < COLD_STARTS; i++) {
    const start = performance.now();
    const worker = await DirectWorker.start(python, NOOP_SOURCE, 'noop', variant.launch);
    ready.push(performance.now() - start);
    await worker.runBatch(1, 'c');
    first.push(performance.now() - start);
    await worker.stop();
  }
  return { ready, first };
}

async function warmHits(variant: Variant) {
  const worker = await DirectWorker.start(python, NOOP_SOURCE, 'noop', variant.launch);
  try {
    await worker.latencies(300);
    const latency = latencyFigures(await worker.latencies(samples));
    const start = performance.now();
    await worker.runBatch(batch, 'b');
    return { latency, throughput: (batch * 1_000) / (performance.now() - start) };
  } finally {
    await worker.stop();
  }
}

/** Sequential no-op tasks through a one-worker manager: its warm hit, the queue and dispatch included. */
async function managerHits(variant: Variant): Promise<number[]> {
  const completions = new Completions();
  const manager = new Manager({ size: 1, python, ...variant.pool }, completions);
  await manager.start();
  const functionId = randomUUID();
  const code = [{ function_id: functionId, source: NOOP_SOURCE, entrypoint: 'noop' }];
  const times: number[] = [];
  try {
    for (let i = 0; i < 200 + MANAGER_SAMPLES; i++) {
      const taskId = randomUUID();
      const start = performance.now();
      const done = completions.wait(taskId);
      manager.submit([{ task_id: taskId, function_id: functionId, owner: 'bench', args: [], kwargs: {} }], i === 0 ? code : []);
      const completion = await done;
      if (completion.state !== 'success') throw new Error(`a no-op failed: ${JSON.stringify(completion.error)}`);
      if (i >= 200) times.push(performance.now() - start);
    }
  } finally {
    await manager.stop();
  }
  return times;
}

try {
  const list = variants();
  const rows: string[][] = [['', 'spawn -> ready', 'first result', 'warm hit p50', 'p99', 'over bare', 'batch', 'manager p50', 'over bare']];
  let bareWarm = NaN;
  let bareManager = NaN;
  for (const variant of list) {
    log(`${variant.name}: ${COLD_STARTS} cold starts…`);
    const cold = await coldStarts(variant);
    log(`${variant.name}: ${samples} warm hits and a batch of ${batch}…`);
    const warm = await warmHits(variant);
    log(`${variant.name}: ${MANAGER_SAMPLES} tasks through the manager…`);
    const manager = quantile(await managerHits(variant), 0.5);
    if (variant.launch === undefined) {
      bareWarm = warm.latency.p50;
      bareManager = manager;
    }
    const over = (value: number, bare: number) => (variant.launch === undefined ? '' : `${value - bare >= 0 ? '+' : ''}${ms(value - bare)}`);
    rows.push([
      variant.name,
      ms(quantile(cold.ready, 0.5)),
      ms(quantile(cold.first, 0.5)),
      ms(warm.latency.p50),
      ms(warm.latency.p99),
      over(warm.latency.p50, bareWarm),
      rate(warm.throughput),
      ms(manager),
      over(manager, bareManager),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   '));
  console.log(`\nfuncX container benchmark: a no-op function; cold starts are medians of ${COLD_STARTS}, warm hits of ${samples}`);
  console.log(`(node ${process.version}, ${python} / ${images.python}, ${new Date().toISOString()})\n`);
  console.log(lines.join('\n'));
  console.log('\nspawn -> ready: the worker (and its container) started until it says ready; first result: plus one no-op.');
  console.log("warm hit: one no-op's round trip through a warm worker's pipes; manager: submit to completion through the");
  console.log("endpoint's queue and dispatch, one worker. batch: tasks/s of one batch through one warm worker's pipes.");
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  if (podman) {
    rmSync(podman.runDir, { recursive: true, force: true });
    rmSync(dirname(podman.dir), { recursive: true, force: true });
  }
  removeTempDirs();
}
