/**
 * Simulated managers for the scale benchmark: one process opens COUNT connections to a daemon's manager port,
 * each registering as a manager of WORKERS workers, and answers every task at once as a no-op success
 * (completions batched per connection per turn of the event loop), exactly in the wire format real managers use.
 * argv: HOST:PORT SECRET COUNT WORKERS PREFETCH
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, type TaskCompletion } from '@funcx/protocol';
import { parseDaemonAddress } from '@funcx/endpoint';

const [address, secret, countText, workersText, prefetchText] = process.argv.slice(2);
const { host, port } = parseDaemonAddress(address);
const count = Number(countText);
const workers = Number(workersText);
const capacity = workers + Number(prefetchText);
const load = { workers_total: workers, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
const RESULT = { data: { 'text/plain': 'None' } };

function simulate(index: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.setNoDelay(true);
      socket.write(
        encodeFrame({ t: 'register', secret, block_id: '', node: `sim-${process.pid}-${index}`, pid: process.pid, workers, resources: { cpus: workers, memory_mb: 0, accelerators: [] }, block_nodes: [`sim-${index}`], version: 'sim' }) +
          encodeFrame({ t: 'load', load, capacity }),
      );
      resolve(socket);
    });
    socket.once('error', reject);
    let partial = '';
    let pending: TaskCompletion[] = [];
    let queued = false;
    const flush = () => {
      queued = false;
      const completions = pending;
      pending = [];
      socket.write(encodeFrame({ t: 'done', completions, capacity }));
    };
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      const now = Date.now();
      for (const line of lines) {
        if (!line.startsWith('{"t":"tasks"')) continue;
        const frame = JSON.parse(line) as { tasks: { task_id: string }[] };
        for (const task of frame.tasks) {
          pending.push({ task_id: task.task_id, state: 'success', timestamps: { running: now, success: now }, result: RESULT });
        }
      }
      if (pending.length > 0 && !queued) {
        queued = true;
        setImmediate(flush);
      }
    });
  });
}

const sockets: Socket[] = [];
for (let i = 0; i < count; i++) sockets.push(await simulate(i));
process.send?.({ connected: sockets.length });
process.on('message', (message) => {
  if (message === 'stop') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
