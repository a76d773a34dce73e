import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FuncxError } from '@funcx/protocol';

/** Answers what Node refuses before Fastify sees a request (a body that never finishes, a malformed request line). */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return;
  const funcxError = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? new FuncxError('FUNCX_REQUEST_TIMEOUT', 'The request did not arrive in time: send the whole body at once, and less of it')
    : new FuncxError('FUNCX_BAD_REQUEST', 'The request is not valid HTTP');
  const body = JSON.stringify(funcxError.toBody());
  socket.end(
    `HTTP/1.1 ${funcxError.statusCode} ${funcxError.toBody().error}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Most bytes of a refused body read and thrown away before the connection is closed instead. */
const DISCARD_MAX_BYTES = 256 * 1024 * 1024;

/** Reads the rest of a refused request's body and drops it, so the answer already sent reaches the client. */
export function discardBody(request: IncomingMessage): void {
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_MAX_BYTES) request.socket.destroy();
  });
  request.resume();
}
