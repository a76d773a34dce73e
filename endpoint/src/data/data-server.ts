import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DATA_DIGEST_TRAILER_BYTES, MAX_DATA_INLINE_PUT, MAX_DATA_REQUEST_LINE, type DataReply, type JsonValue } from '@funcx/protocol';
import { DataError, type DataService } from './data-service.js';
import { tokenUser } from './data-token.js';
import { inputsOf, type TaskStreams } from './task-streams.js';

/** Longest a worker's take waits for an item before it asks again. */
const MAX_TAKE_WAIT_MS = 30_000;

/**
 * The daemon's data server: workers (on this machine or on a block's nodes) put and get values over the data
 * wire (protocol/src/data.ts), each request with its user's data token. A connection is served one request at
 * a time; a put's bytes go straight into one buffer of the announced size.
 */
export class DataServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly service: DataService,
    private readonly streams: TaskStreams,
    private readonly secret: Buffer,
    private readonly onWarning: (message: string) => void,
  ) {
    this.server = createServer((socket) => this.serve(socket));
  }

  /** Listens; resolves with HOST:PORT as workers reach it. */
  listen(host: string, port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        resolve(`${host.includes(':') ? `[${host}]` : host}:${address.port}`);
      });
    });
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending: Buffer[] = [];
    /** The put whose bytes are arriving. */
    let body: { buffer: Buffer; filled: number; finish: (bytes: Buffer) => void } | undefined;
    let busy = false;

    const reply = (message: DataReply, bytes?: Buffer) => {
      socket.write(JSON.stringify(message) + '\n');
      if (bytes && bytes.length > 0) socket.write(bytes);
    };
    const fail = (error: unknown) => {
      if (error instanceof DataError) {
        reply({ ok: false, code: error.code, message: error.message });
        if (error.fatal) socket.end();
        return;
      }
      this.onWarning(`data store: ${(error as Error).message}`);
      reply({ ok: false, code: 'unavailable', message: `the endpoint's data store failed: ${(error as Error).message}` });
    };

    const pump = () => {
      for (;;) {
        // A put's bytes are taken while its request is busy waiting for them.
        if (body) {
          while (body.filled < body.buffer.length && pending.length > 0) {
            const chunk = pending[0];
            const take = Math.min(chunk.length, body.buffer.length - body.filled);
            chunk.copy(body.buffer, body.filled, 0, take);
            body.filled += take;
            if (take === chunk.length) pending.shift();
            else pending[0] = chunk.subarray(take);
          }
          if (body.filled < body.buffer.length) return;
          const done = body;
          body = undefined;
          done.finish(done.buffer);
          continue;
        }
        if (busy) return;
        const joined = pending.length === 1 ? pending[0] : Buffer.concat(pending);
        const newline = joined.indexOf(10);
        if (newline > MAX_DATA_REQUEST_LINE) {
          reply({ ok: false, code: 'bad_request', message: `a data request line is at most ${MAX_DATA_REQUEST_LINE} bytes` });
          socket.end();
          return;
        }
        if (newline < 0) {
          pending = joined.length > 0 ? [joined] : [];
          if (joined.length > MAX_DATA_REQUEST_LINE) {
            reply({ ok: false, code: 'bad_request', message: `a data request line is at most ${MAX_DATA_REQUEST_LINE} bytes` });
            socket.end();
          }
          return;
        }
        const line = joined.subarray(0, newline).toString();
        const rest = joined.subarray(newline + 1);
        pending = rest.length > 0 ? [rest] : [];
        busy = true;
        this.handle(line, reply, (size, finish) => {
          body = { buffer: Buffer.allocUnsafe(size), filled: 0, finish };
          // Bytes that came with the request line (or before this) are waiting already.
          pump();
        })
          .catch(fail)
          .finally(() => {
            busy = false;
            pump();
          });
      }
    };

    socket.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      pump();
    });
  }

  /** One request; a put that must send its bytes registers where they go and resolves once they are stored. */
  private async handle(
    line: string,
    reply: (message: DataReply, bytes?: Buffer) => void,
    expectBody: (size: number, finish: (bytes: Buffer) => void) => void,
  ): Promise<void> {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new DataError('bad_request', 'a data request is one JSON object on a line', true);
    }
    const user = tokenUser(this.secret, request.token);
    if (user === undefined) {
      // A put's bytes would follow: the connection cannot be read on, so it ends.
      throw new DataError('unauthorized', 'the data token is not one this endpoint gave: use funcx.store inside a task of this endpoint', true);
    }
    switch (request.op) {
      case 'put': {
        if (request.with_bytes === true) {
          // A small value comes with its request: one round trip.
          if (typeof request.size !== 'number' || !Number.isInteger(request.size) || request.size < 0 || request.size > MAX_DATA_INLINE_PUT) {
            throw new DataError('bad_request', `a put with its bytes is at most ${MAX_DATA_INLINE_PUT} bytes; send a larger value after the reply`, true);
          }
          const bytes = await new Promise<Buffer>((resolve) => expectBody(request.size as number, resolve));
          const existing = await this.service.existing(user, String(request.digest));
          if (existing) return reply({ ok: true, ref: existing, have: true });
          await this.service.admit(user, request.kind, request.digest, request.size);
          return reply({ ok: true, ref: await this.service.put(user, request.kind as 'bytes' | 'pickle', request.digest as string, bytes) });
        }
        if (request.digest_follows === true) {
          // The bytes come at once and their digest after them: they are read whatever the answer, so the
          // connection stays in step and an error is an answer, not the end of it.
          try {
            // Before a buffer of that size is made: a value that does not fit is refused unread.
            await this.service.admitSize(user, request.kind, request.size);
          } catch (error) {
            throw error instanceof DataError ? new DataError(error.code, error.message, true) : error;
          }
          const bytes = await new Promise<Buffer>((resolve) => expectBody(request.size as number, resolve));
          const trailer = await new Promise<Buffer>((resolve) => expectBody(DATA_DIGEST_TRAILER_BYTES, resolve));
          const digest = trailer.subarray(0, DATA_DIGEST_TRAILER_BYTES - 1).toString('latin1');
          if (trailer[DATA_DIGEST_TRAILER_BYTES - 1] !== 10) {
            throw new DataError('bad_request', 'after the bytes of a digest_follows put come their sha256 (64 hex digits) and a newline', true);
          }
          const existing = await this.service.existing(user, digest);
          if (existing) return reply({ ok: true, ref: existing, have: true });
          await this.service.admit(user, request.kind, digest, request.size);
          return reply({ ok: true, ref: await this.service.put(user, request.kind as 'bytes' | 'pickle', digest, bytes) });
        }
        const existing = await this.service.existing(user, String(request.digest));
        if (existing) return reply({ ok: true, ref: existing, have: true });
        await this.service.admit(user, request.kind, request.digest, request.size);
        reply({ ok: true, send: true });
        const bytes = await new Promise<Buffer>((resolve) => expectBody(request.size as number, resolve));
        return reply({ ok: true, ref: await this.service.put(user, request.kind as 'bytes' | 'pickle', request.digest as string, bytes) });
      }
      case 'get': {
        const read = await this.service.read(user, request.url, (request.offset as number | undefined) ?? 0, request.length as number | undefined);
        return reply({ ok: true, kind: read.kind, size: read.bytes.length, total: read.total, ref: read.ref }, read.bytes);
      }
      case 'stat':
        return reply({ ok: true, ref: await this.service.stat(user, request.url) });
      case 'append': {
        const size = request.size;
        if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_DATA_INLINE_PUT || typeof request.task !== 'string') {
          throw new DataError('bad_request', `an append names its task and sends at most ${MAX_DATA_INLINE_PUT} bytes of JSON (a larger item goes by reference)`, true);
        }
        const bytes = size > 0 ? await new Promise<Buffer>((resolve) => expectBody(size, resolve)) : undefined;
        let item: JsonValue | undefined;
        if (bytes) {
          try {
            item = JSON.parse(bytes.toString()) as JsonValue;
          } catch {
            throw new DataError('bad_request', 'a stream item is JSON');
          }
        }
        await this.streams.append(user, request.task, item, request.done === true);
        return reply({ ok: true, appended: true });
      }
      case 'take': {
        const from = request.from;
        const waitMs = request.wait_ms;
        if (typeof request.task !== 'string' || typeof from !== 'number' || !Number.isInteger(from) || from < 0 || typeof waitMs !== 'number' || waitMs < 0) {
          throw new DataError('bad_request', 'a take names its task, the index to read from and how long to wait (wait_ms)');
        }
        const key = request.inputs === true ? inputsOf(request.task) : request.task;
        const read = await this.streams.read(user, key, from, Math.min(waitMs, MAX_TAKE_WAIT_MS));
        return reply({ ok: true, ...read });
      }
      default:
        throw new DataError('bad_request', `op must be put, get, stat, append or take (got ${JSON.stringify(request.op)})`);
    }
  }
}
