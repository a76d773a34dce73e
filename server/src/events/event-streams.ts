import type { ServerResponse } from 'node:http';
import type { ServerToClientEvents } from '@funcx/protocol';
import type { ClientChannel } from './client-channel.js';
import type { LocalInterest } from './local-interest.js';

/** A stream that has fallen this far behind (its client reads too slowly) is closed; the client reconnects. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The Server-Sent Event streams of `GET /v1/events`, by user: the same events as the /client socket, each as
 * `event: NAME` and `data: JSON` (NAME as on the socket: task:events, endpoint:status, endpoint:removed).
 */
export class EventStreams implements ClientChannel {
  private readonly byUser = new Map<string, Set<ServerResponse>>();
  private everyone = 0;

  constructor(private readonly interest: LocalInterest) {}

  add(user: string, stream: ServerResponse): void {
    let streams = this.byUser.get(user);
    if (!streams) this.byUser.set(user, (streams = new Set()));
    streams.add(stream);
    this.everyone++;
    this.interest.acquire(user);
  }

  remove(user: string, stream: ServerResponse): void {
    const streams = this.byUser.get(user);
    if (!streams?.delete(stream)) return;
    this.everyone--;
    if (streams.size === 0) this.byUser.delete(user);
    this.interest.release(user);
  }

  get size(): number {
    return this.everyone;
  }

  /** Ends every stream; its client connects again and reads the tasks it follows in the snapshot. */
  reconnectAll(): number {
    const count = this.everyone;
    this.closeAll();
    return count;
  }

  /** Ends every stream (the hub is stopping: a client reconnects to it or to another hub). */
  closeAll(): void {
    for (const [user, streams] of this.byUser) {
      for (const stream of streams) {
        stream.end();
        this.interest.release(user);
      }
    }
    this.byUser.clear();
    this.everyone = 0;
  }

  /** Writes one event to one stream (also the first ones, before it joins). */
  static write(stream: ServerResponse, event: string, data: unknown): void {
    if (stream.writableLength > MAX_BUFFERED_BYTES) {
      stream.destroy();
      return;
    }
    stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  toAll<E extends keyof ServerToClientEvents>(event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (this.everyone === 0) return;
    for (const streams of this.byUser.values()) for (const stream of streams) EventStreams.write(stream, event, args[0]);
  }

  toUsers<E extends keyof ServerToClientEvents>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (this.everyone === 0) return;
    for (const user of users) {
      const streams = this.byUser.get(user);
      if (streams) for (const stream of streams) EventStreams.write(stream, event, args[0]);
    }
  }

  toAllBut<E extends keyof ServerToClientEvents>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (this.everyone === 0) return;
    const skip = new Set(users);
    for (const [user, streams] of this.byUser) {
      if (!skip.has(user)) for (const stream of streams) EventStreams.write(stream, event, args[0]);
    }
  }
}
