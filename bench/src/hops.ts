/**
 * What one bare hop of a task's path costs on this machine, with nothing done at its far end: a Socket.IO
 * acknowledgement between two Node processes (client ↔ hub, hub ↔ daemon), a newline frame over loopback TCP
 * and back (daemon ↔ manager), and a no-op through a warm Python worker's pipes (manager ↔ worker, the core
 * bench's floor). A task's round trip crosses each once there and once back, so their sum is the least any
 * round trip through the hub can take here, whatever the hub, daemon and manager do.
 *
 * Each hop is timed twice: back to back, and after both ends have been idle for IDLE_MS. On a task's path every
 * process sleeps between its turns, and waking a sleeping process (on a virtual machine, a halted virtual CPU)
 * can cost more than the hop itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket as TcpSocket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { io } from 'socket.io-client';
import { readFrames } from '@funcx/endpoint';
import { MAX_MANAGER_FRAME_BYTES, encodeFrame } from '@funcx/protocol';
import { DirectWorker } from './floor.js';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { latencyFigures, ms, type LatencyFigures } from './stats.js';
import { loadAverage } from './scale-cpu.js';

const { samples, python } = benchOptions(5000);
const WARM_UP = 2_000;
/** How long both ends of a hop sleep before each of the second series of round trips. */
const IDLE_MS = 1;
/** As large as one task's dispatch: an id, a function id, its owner and no arguments. */
const PAYLOAD = { task_id: '4f3c2a10-5b6d-4e7f-8a9b-0c1d2e3f4a5b', function_id: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d', owner: 'user-1', args: [], kwargs: {} };

async function echo(mode: 'socketio' | 'tcp'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./hop-echo.js', import.meta.url)), mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(chunk.toString().trim()) };
}

async function timed(count: number, hop: () => Promise<unknown>, idleMs = 0): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    const start = performance.now();
    await hop();
    times.push(performance.now() - start);
  }
  return times;
}

/** A hop's figures back to back, and after both ends idled IDLE_MS. */
interface HopFigures {
  busy: LatencyFigures;
  idle: LatencyFigures;
}

/** The figures of `samples` round trips of a hop in each series, after WARM_UP that are not counted. */
async function measured(hop: () => Promise<unknown>): Promise<HopFigures> {
  await timed(WARM_UP, hop);
  const busy = latencyFigures(await timed(samples, hop));
  return { busy, idle: latencyFigures(await timed(samples, hop, IDLE_MS)) };
}

async function socketIoHop(): Promise<HopFigures> {
  const { child, port } = await echo('socketio');
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'] });
  try {
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    return await measured(() => socket.emitWithAck('hop', PAYLOAD));
  } finally {
    socket.close();
    child.stdin!.end();
  }
}

async function tcpHop(): Promise<HopFigures> {
  const { child, port } = await echo('tcp');
  const socket: TcpSocket = connect({ host: '127.0.0.1', port });
  let answered: () => void = () => {};
  try {
    await once(socket, 'connect');
    socket.setNoDelay(true);
    readFrames(socket, MAX_MANAGER_FRAME_BYTES, () => answered(), () => socket.destroy());
    const frame = encodeFrame({ t: 'tasks', tasks: [PAYLOAD], functions: [] });
    return await measured(() => new Promise<void>((resolve) => {
      answered = resolve;
      socket.write(frame);
    }));
  } finally {
    socket.destroy();
    child.stdin!.end();
  }
}

async function pipeHop(): Promise<HopFigures> {
  const worker = await DirectWorker.start(python, NOOP_SOURCE, 'noop');
  try {
    let n = 0;
    return await measured(() => worker.runBatch(1, `h${n++}-`));
  } finally {
    await worker.stop();
  }
}

try {
  log(`${samples} bare round trips of each hop, after ${WARM_UP} to warm up…`);
  const socketIo = await socketIoHop();
  const tcp = await tcpHop();
  const pipe = await pipeHop();
  const rows: [string, HopFigures, number][] = [
    ['Socket.IO ack, Node to Node (client <-> hub, hub <-> daemon)', socketIo, 2],
    ['newline frame over loopback TCP, Node to Node (daemon <-> manager)', tcp, 1],
    ['no-op through a Python worker\'s pipes (manager <-> worker)', pipe, 1],
  ];
  console.log(`\nfuncX hops benchmark: bare round trips, ${samples} of each (node ${process.version}, ${python}, ${new Date().toISOString()}, load ${loadAverage()})\n`);
  const width = Math.max(...rows.map(([what]) => what.length));
  const idle = `p50 after ${IDLE_MS} ms idle`;
  console.log(`${''.padEnd(width)}        p50        p99   ${idle}   crossed per task`);
  for (const [what, { busy, idle: rested }, times] of rows) {
    console.log(`${what.padEnd(width)}   ${ms(busy.p50).padStart(8)}   ${ms(busy.p99).padStart(8)}   ${ms(rested.p50).padStart(idle.length)}   ${String(times).padStart(16)}`);
  }
  const least = (pick: (figures: HopFigures) => number) => ms(rows.reduce((sum, [, figures, times]) => sum + pick(figures) * times, 0));
  console.log(`\nthe least a task's round trip through the hub can take here (the p50s, each as often as a task crosses it):`);
  console.log(`  back to back ${least((figures) => figures.busy.p50)}, each hop after ${IDLE_MS} ms idle ${least((figures) => figures.idle.p50)}`);
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
}
