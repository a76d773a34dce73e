/**
 * The far end of one bare hop for bench/src/hops.ts, in a process of its own: `socketio` acknowledges every
 * event on a Socket.IO server configured as the hub's (websocket only), `tcp` sends every newline-ended frame
 * back, as a daemon's manager link would read it. Prints its port, then runs until its parent closes stdin.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { readFrames } from '@funcx/endpoint';
import { MAX_MANAGER_FRAME_BYTES } from '@funcx/protocol';

const mode = process.argv[2];
if (mode === 'socketio') {
  const http = createHttpServer();
  const io = new Server(http, { transports: ['websocket'], serveClient: false });
  io.on('connection', (socket) => socket.on('hop', (_payload: unknown, ack: (reply: unknown) => void) => ack({ ok: true })));
  http.listen(0, '127.0.0.1', () => process.stdout.write(`${(http.address() as AddressInfo).port}\n`));
} else if (mode === 'tcp') {
  const server = createTcpServer((socket) => {
    socket.setNoDelay(true);
    readFrames(socket, MAX_MANAGER_FRAME_BYTES, (line) => socket.write(`${line}\n`), () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
} else {
  process.stderr.write('usage: hop-echo.js socketio|tcp\n');
  process.exit(2);
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
