import { connect, type Socket } from 'node:net';
import {
  MAX_MANAGER_FRAME_BYTES,
  encodeFrame,
  type DaemonFrame,
  type ManagerFrame,
  type TaskCompletion,
  type TaskOutputUpdate,
  type TaskStateUpdate,
} from '@funcx/protocol';
import { readFrames } from './frame-reader.js';
import { decodeDaemonFrame } from './manager-frames.js';
import type { OutboxSink } from './outbox.js';
import { ReplyProblem } from './worker-replies.js';

const CONNECT_TIMEOUT_MS = 30_000;
const CONNECT_RETRY_MS = 250;

/** `host:port` as a block's managers are told it (FUNCX_MANAGER_DAEMON); brackets around an IPv6 host. */
export function parseDaemonAddress(text: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port > 0 && port < 65_536)) throw new Error(`the daemon's address must be HOST:PORT (got ${JSON.stringify(text)})`);
  return { host: match[1], port };
}

/**
 * A manager's connection to its daemon: frames out, frames in. It is the sink of the manager's outbox (the
 * daemon needs no acknowledgement: a manager whose connection breaks is lost, and its tasks go back to the
 * daemon's queue). Connecting is retried for a while, as a block may start before the daemon listens again.
 */
export class DaemonLink implements OutboxSink {
  private socket?: Socket;
  private closed = false;
  /** How many tasks the manager wants to hold, sent with each batch of completions. */
  capacity: () => number = () => 0;

  constructor(
    private readonly address: { host: string; port: number },
    private readonly onFrame: (frame: DaemonFrame) => void,
    private readonly onClose: (reason: string) => void,
  ) {}

  get ready(): boolean {
    return this.socket !== undefined && !this.closed && this.socket.writable;
  }

  /** Resolves once connected; rejects when the daemon cannot be reached within 30 s. */
  async connect(): Promise<void> {
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    for (;;) {
      try {
        this.socket = await this.attempt();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`cannot reach the daemon at ${this.address.host}:${this.address.port}: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, CONNECT_RETRY_MS));
      }
    }
    const socket = this.socket;
    socket.setNoDelay(true);
    readFrames(
      socket,
      MAX_MANAGER_FRAME_BYTES,
      (line) => {
        const frame = decodeDaemonFrame(line);
        if (frame instanceof ReplyProblem) return this.close(`the daemon sent a bad frame (${frame.reason})`);
        this.onFrame(frame);
      },
      () => this.close(`the daemon sent a frame longer than ${MAX_MANAGER_FRAME_BYTES} bytes`),
    );
    socket.on('close', () => this.close('the daemon closed the connection'));
    socket.on('error', () => {});
  }

  private attempt(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.address);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }

  send(frame: ManagerFrame): void {
    if (this.ready) this.socket!.write(encodeFrame(frame));
  }

  sendStates(updates: TaskStateUpdate[]): void {
    this.send({ t: 'states', updates });
  }

  sendOutputs(updates: TaskOutputUpdate[]): void {
    this.send({ t: 'outputs', updates });
  }

  sendDone(completions: TaskCompletion[]): Promise<string[]> {
    this.send({ t: 'done', completions, capacity: this.capacity() });
    return Promise.resolve(completions.map((completion) => completion.task_id));
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.destroy();
    this.onClose(reason);
  }

  /** Writes what is queued, then closes. */
  end(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => {
      if (!this.socket || this.socket.destroyed) return resolve();
      this.socket.end(() => resolve());
      setTimeout(resolve, 2_000).unref();
    });
  }
}
