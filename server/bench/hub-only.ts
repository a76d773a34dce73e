/**
 * The hub alone: a hub process, a fake endpoint that answers every dispatch at once, and a client that submits
 * over its socket. Prints the round-trip latency of single tasks and the throughput of one large batch.
 * Usage: node server/dist/bench/hub-only.js [--tasks 10000] [--rounds 1000] [--prof DIR (CPU profile of the hub)]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { io } from 'socket.io-client';
import { CLIENT_NAMESPACE, ENDPOINT_NAMESPACE, type TaskEvent } from '@funcx/protocol';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const BATCH = argument('--tasks', 10_000);
const ROUNDS = argument('--rounds', 1_000);

/** User plus system CPU time of a process, from /proc (Linux). */
function hubCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const dir = mkdtempSync(join(tmpdir(), 'funcx-hub-bench-'));
const main = fileURLToPath(new URL('../src/main.js', import.meta.url));
const profileDir = process.argv.includes('--prof') ? process.argv[process.argv.indexOf('--prof') + 1] : undefined;
const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
const hub = spawn(process.execPath, [...nodeArgs, main, '--port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'warn'], {
  env: { ...process.env, FUNCX_HOME: join(dir, 'home') },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const url = await new Promise<string>((resolve, reject) => {
    hub.once('exit', (code) => reject(new Error(`hub exited with ${code}`)));
    createInterface({ input: hub.stdout! }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
  });
  const { token } = JSON.parse(readFileSync(join(dir, 'home', 'credentials.json'), 'utf8')) as { token: string };
  const response = await fetch(`${url}/v1/endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench' }),
  });
  const { endpoint_token } = (await response.json()) as { endpoint_token: string };

  const endpoint = io(url + ENDPOINT_NAMESPACE, { transports: ['websocket'], auth: { token: endpoint_token } });
  endpoint.on('tasks:dispatch', ({ tasks }: { tasks: Array<{ task_id: string }> }) => {
    const at = Date.now();
    endpoint.emit(
      'tasks:done',
      tasks.map((task) => ({ task_id: task.task_id, state: 'success', timestamps: { running: at, success: at }, result: { value: null, data: { 'text/plain': 'None' } } })),
      () => undefined,
    );
  });
  await new Promise<void>((resolve) => endpoint.once('connect', () => resolve()));
  await endpoint.emitWithAck('hello', { held_task_ids: [], load: { workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] }, version: 'bench' });

  const client = io(url + CLIENT_NAMESPACE, { transports: ['websocket'], auth: { token } });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  let finals = 0;
  let onFinal: (() => void) | undefined;
  client.on('task:events', (events: TaskEvent[]) => {
    for (const event of events) if (event.type === 'final') finals++;
    onFinal?.();
  });
  const submitAndWait = async (count: number) => {
    const target = finals + count;
    const tasks = Array.from({ length: count }, () => ({ source: 'pass', endpoint: 'bench' }));
    const reached = new Promise<void>((resolve) => {
      onFinal = () => {
        if (finals >= target) resolve();
      };
    });
    await client.emitWithAck('tasks:submit', { tasks });
    await reached;
  };

  for (let i = 0; i < 200; i++) await submitAndWait(1);
  const latencies: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await submitAndWait(1);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(3);
  console.log(`round trip of one task (client -> hub -> endpoint -> hub -> client), ${ROUNDS} rounds: p50 ${pct(50)} ms, p99 ${pct(99)} ms`);

  await submitAndWait(BATCH);
  const cpuBefore = hubCpuSeconds(hub.pid!);
  const ownCpuBefore = process.cpuUsage();
  const started = performance.now();
  await submitAndWait(BATCH);
  const seconds = (performance.now() - started) / 1000;
  const cpu = hubCpuSeconds(hub.pid!) - cpuBefore;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  console.log(`batch of ${BATCH} tasks: ${seconds.toFixed(3)} s, ${Math.round(BATCH / seconds)} tasks/s`);
  console.log(`hub CPU for the batch: ${cpu.toFixed(3)} s (${Math.round(BATCH / cpu)} tasks per CPU-second of the hub)`);
  console.log(`client and fake endpoint CPU for the batch: ${((ownCpu.user + ownCpu.system) / 1e6).toFixed(3)} s`);
  client.disconnect();
  endpoint.disconnect();
} finally {
  hub.kill('SIGTERM');
  await new Promise((resolve) => hub.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
