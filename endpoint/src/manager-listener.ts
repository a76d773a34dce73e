import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { ManagerFrame } from '@funcx/protocol';
import type { Interchange } from './interchange.js';
import type { Log } from './log.js';
import { ManagerLink } from './manager-link.js';

/** How long a new connection may take to register before it is closed. */
const REGISTER_TIMEOUT_MS = 10_000;

export interface ManagerListenerOptions {
  /** The address to listen on (config manager_address, loopback by default) and port (0: any free one). */
  host: string;
  port: number;
  /** Managers prove they belong to this endpoint with it (FUNCX_MANAGER_SECRET). */
  secret: string;
  interchange: Interchange;
  /** The welcome's settings (manager-settings.ts). */
  settings: { [key: string]: unknown };
  log: Log;
}

/** A fresh secret for the managers of one daemon run. */
export function managerSecret(): string {
  return randomBytes(32).toString('hex');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The daemon's one listening socket: managers connect, register with the endpoint's manager secret, and are
 * handed to the interchange. Anything else (a wrong secret, no register within 10 s, a bad first frame) is closed.
 */
export class ManagerListener {
  private readonly server: Server;
  private readonly pending = new Set<Socket>();
  private nextId = 1;

  constructor(private readonly options: ManagerListenerOptions) {
    this.server = createServer((socket) => this.accept(socket));
    this.server.maxConnections = 1_000_000;
  }

  /** Resolves with the address managers are to be told (host:port). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.options.host, port: this.options.port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') return reject(new Error('the manager listener has no TCP address'));
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve(`${host}:${address.port}`);
      });
    });
  }

  private accept(socket: Socket): void {
    const { interchange, log } = this.options;
    this.pending.add(socket);
    const id = String(this.nextId++);
    let registered = false;
    const timer = setTimeout(() => link.close('it did not register within 10 s'), REGISTER_TIMEOUT_MS);
    const link = new ManagerLink(
      id,
      socket,
      (from, frame: ManagerFrame) => {
        if (registered) return interchange.onFrame(from, frame);
        if (frame.t !== 'register') return from.close(`its first frame was "${frame.t}", not register`);
        if (!sameSecret(frame.secret, this.options.secret)) return from.close('it gave the wrong manager secret');
        registered = true;
        clearTimeout(timer);
        this.pending.delete(socket);
        from.register = frame;
        from.send({ t: 'welcome', manager_id: id, settings: this.options.settings });
        interchange.attach(from);
      },
      (from, reason) => {
        clearTimeout(timer);
        this.pending.delete(socket);
        if (registered) interchange.lost(from, reason);
        else log('warn', `a connection from ${socket.remoteAddress ?? 'an unknown address'} to the manager port was closed: ${reason}`);
      },
    );
  }

  close(): Promise<void> {
    for (const socket of this.pending) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
