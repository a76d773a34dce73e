import type { JsonValue } from '@funcx/protocol';
import { DataError } from './data-service.js';

/** Items a stream holds unread before its producer waits (back-pressure reaches the generator in the worker). */
export const STREAM_BUFFER_ITEMS = 64;
/** A stream nobody reads for this long fails its producer, so a forgotten generator does not hold a worker forever. */
export const STREAM_IDLE_MS = 10 * 60_000;

interface Stream {
  /** Index of items[0]. */
  first: number;
  items: JsonValue[];
  done: boolean;
  /** Producers waiting for room, and readers waiting for items. */
  roomWaiters: (() => void)[];
  itemWaiters: (() => void)[];
  lastRead: number;
}

/** The key of a task's input stream, beside the stream of what it yields. */
export function inputsOf(taskId: string): string {
  return `${taskId}\0inputs`;
}

/** What a read gives: items from `from`, the index to ask from next, and whether the stream has ended. */
export interface StreamRead {
  from: number;
  items: JsonValue[];
  next: number;
  done: boolean;
}

/**
 * The values generator tasks yield, per user and task, kept at the endpoint until read: a producer whose stream
 * holds STREAM_BUFFER_ITEMS unread items waits until a reader takes some, so a fast generator is held back
 * where it runs and neither the daemon nor the hub fills up with what nobody has read yet.
 */
export class TaskStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly bufferItems = STREAM_BUFFER_ITEMS,
    private readonly idleMs = STREAM_IDLE_MS,
  ) {}

  private stream(user: string, taskId: string): Stream {
    const key = `${user}\0${taskId}`;
    let stream = this.streams.get(key);
    if (!stream) this.streams.set(key, (stream = { first: 0, items: [], done: false, roomWaiters: [], itemWaiters: [], lastRead: Date.now() }));
    return stream;
  }

  /**
   * Adds an item (or ends the stream); resolves once it is held, waiting while the stream is full. With
   * `maxWaitMs`, resolves false instead once it has waited that long (the item is not added).
   */
  async append(user: string, taskId: string, item: JsonValue | undefined, done: boolean, maxWaitMs?: number): Promise<boolean> {
    const stream = this.stream(user, taskId);
    const since = Date.now();
    while (item !== undefined && stream.items.length >= this.bufferItems) {
      if (maxWaitMs !== undefined && Date.now() - since >= maxWaitMs) return false;
      const idle = Date.now() - stream.lastRead;
      if (idle >= this.idleMs) {
        throw new DataError('unavailable', `nobody has read this task's stream for ${Math.round(idle / 1000)} s: the generator is stopped (read it with Client.stream(task_id))`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(this.idleMs - idle, maxWaitMs ?? Infinity));
        timer.unref();
        stream.roomWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (item !== undefined) stream.items.push(item);
    if (done) stream.done = true;
    for (const wake of stream.itemWaiters.splice(0)) wake();
    return true;
  }

  /**
   * Items from index `from` on (those before it are dropped: the reader has them), waiting up to `waitMs` for
   * one when there is none yet. Another user's task id reads an empty stream that never ends.
   */
  async read(user: string, taskId: string, from: number, waitMs: number, max = 1_000): Promise<StreamRead> {
    const stream = this.stream(user, taskId);
    stream.lastRead = Date.now();
    const drop = Math.min(Math.max(0, from - stream.first), stream.items.length);
    if (drop > 0) {
      stream.items.splice(0, drop);
      stream.first += drop;
      for (const wake of stream.roomWaiters.splice(0)) wake();
    }
    if (from > stream.first && stream.items.length === 0 && !stream.done) {
      throw new DataError('bad_request', `the stream has ${stream.first} items so far: ask from ${stream.first} or before`);
    }
    if (stream.items.length === 0 && !stream.done && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        stream.itemWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const start = stream.first;
    const items = stream.items.slice(0, max);
    const done = stream.done && items.length === stream.items.length;
    if (done && items.length === 0) this.streams.delete(`${user}\0${taskId}`);
    return { from: start, items, next: start + items.length, done };
  }

  /** Forgets streams nobody has touched for `maxAgeMs` (ended and never read, or abandoned). */
  sweep(maxAgeMs: number): void {
    const now = Date.now();
    for (const [key, stream] of this.streams) {
      if (now - stream.lastRead >= maxAgeMs && stream.roomWaiters.length === 0 && stream.itemWaiters.length === 0) this.streams.delete(key);
    }
  }

  /** Unread items of a stream (for status and tests). */
  buffered(user: string, taskId: string): number {
    return this.streams.get(`${user}\0${taskId}`)?.items.length ?? 0;
  }
}
