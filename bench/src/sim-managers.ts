/**
 * Simulated managers for the scale benchmark: one process opens COUNT connections to a daemon's manager port,
 * each registering as a manager of WORKERS workers, and answers every task at once as a no-op success in the
 * wire format real managers use (manager-wire.ts), completions batched per connection per turn of the event loop.
 * Built to cost as little as it can, so that the daemon is what is measured: task ids are cut out of the tasks
 * frame without parsing it (the bench's own tasks, whose arguments never hold the key) and each reply is written
 * from a template. Like a real manager it sends its load every MANAGER_HEARTBEAT_MS, so the daemon never takes
 * a busy one for lost.
 * argv: HOST:PORT SECRET COUNT WORKERS PREFETCH
 */
import { connect, type Socket } from 'node:net';
import { MANAGER_HEARTBEAT_MS, encodeFrame } from '@funcx/protocol';
import { parseDaemonAddress } from '@funcx/endpoint';

const [address, secret, countText, workersText, prefetchText] = process.argv.slice(2);
const { host, port } = parseDaemonAddress(address);
const count = Number(countText);
const workers = Number(workersText);
const capacity = workers + Number(prefetchText);
const load = { workers_total: workers, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
const TASKS_FRAME = '{"t":"tasks"';
const TASK_ID_KEY = '"task_id":"';
const DONE_END = `],"capacity":${capacity}}\n`;

/** What every no-op returns, as JSON (protocol TaskCompletion), around the task id and the time. */
function completionJson(taskId: string, now: number): string {
  return `{"task_id":"${taskId}","state":"success","timestamps":{"running":${now},"success":${now}},"result":{"data":{"text/plain":"None"}}}`;
}

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
    let reply = '';
    let queued = false;
    const flush = () => {
      queued = false;
      socket.write(`{"t":"done","completions":[${reply}${DONE_END}`);
      reply = '';
    };
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      const text = partial + chunk;
      const end = text.lastIndexOf('\n');
      if (end === -1) {
        partial = text;
        return;
      }
      partial = text.slice(end + 1);
      const now = Date.now();
      let at = text.indexOf(TASKS_FRAME);
      while (at !== -1 && at < end) {
        const frameEnd = text.indexOf('\n', at);
        let key = text.indexOf(TASK_ID_KEY, at);
        while (key !== -1 && key < frameEnd) {
          const start = key + TASK_ID_KEY.length;
          const close = text.indexOf('"', start);
          reply += (reply === '' ? '' : ',') + completionJson(text.slice(start, close), now);
          key = text.indexOf(TASK_ID_KEY, close);
        }
        at = text.indexOf(TASKS_FRAME, frameEnd);
      }
      if (reply !== '' && !queued) {
        queued = true;
        setImmediate(flush);
      }
    });
  });
}

const sockets: Socket[] = [];
for (let i = 0; i < count; i++) sockets.push(await simulate(i));
const heartbeat = encodeFrame({ t: 'load', load, capacity });
setInterval(() => {
  for (const socket of sockets) socket.write(heartbeat);
}, MANAGER_HEARTBEAT_MS);
process.send?.({ connected: sockets.length });
process.on('message', (message) => {
  if (message === 'stop') {
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }
});
