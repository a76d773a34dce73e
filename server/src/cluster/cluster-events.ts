import { randomUUID } from 'node:crypto';
import type { ServerToClientEvents } from '@funcx/protocol';
import type { ClientChannel } from '../events/client-channel.js';
import type { Publisher, Subscriber } from './redis-relay.js';

type EventName = keyof ServerToClientEvents;

/** One event as another hub delivers it: to everyone, to these users' clients, or to everyone but them. */
type Delivery = [audience: 'all' | 'users' | 'all-but', users: string[], event: EventName, payload: unknown];

/** A message is the publishing hub's id, a space, then the JSON of its deliveries (so a hub skips its own unread). */
const SEPARATOR = ' ';

/**
 * Client events with several hubs on one Redis. A hub delivers each event to its own clients (sockets, event
 * streams, flows waiting on tasks) and, for the clients of the other hubs, publishes everything of one turn of
 * its event loop as one message; each hub delivers what the others publish to its own clients. So a client
 * sees every event of its tasks whichever hub it is connected to and whichever hub the endpoint is. A message
 * lost while Redis restarts loses those events: clients read their tasks again when they reconnect.
 */
export class ClusterEvents implements ClientChannel {
  private readonly id = randomUUID();
  private queued: Delivery[] = [];

  constructor(
    private readonly publisher: Publisher,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Listens: what other hubs publish goes to `local`, this hub's clients. */
  async join(subscriber: Subscriber, local: ClientChannel): Promise<void> {
    const own = this.id + SEPARATOR;
    await subscriber.subscribe(this.channel, (text) => {
      if (text.startsWith(own)) return;
      let events: Delivery[];
      try {
        events = JSON.parse(text.slice(text.indexOf(SEPARATOR) + 1)) as Delivery[];
      } catch {
        return;
      }
      if (!Array.isArray(events)) return;
      for (const [audience, users, event, payload] of events) deliver(local, audience, users, event, payload);
    });
  }

  toAll<E extends EventName>(event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['all', [], event, args[0]]);
  }

  toUsers<E extends EventName>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['users', users, event, args[0]]);
  }

  toAllBut<E extends EventName>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['all-but', users, event, args[0]]);
  }

  private queue(delivery: Delivery): void {
    if (this.queued.length === 0) queueMicrotask(() => this.publish());
    this.queued.push(delivery);
  }

  private publish(): void {
    const events = this.queued;
    this.queued = [];
    this.publisher.publish(this.channel, this.id + SEPARATOR + JSON.stringify(events)).catch(this.onError);
  }
}

function deliver(local: ClientChannel, audience: Delivery[0], users: string[], event: EventName, payload: unknown): void {
  // The payload is what this hub's own fanout sent for that event; typed by the event's name.
  const args = [payload] as Parameters<ServerToClientEvents[typeof event]>;
  if (audience === 'all') local.toAll(event, ...args);
  else if (audience === 'users') local.toUsers(users, event, ...args);
  else if (audience === 'all-but') local.toAllBut(users, event, ...args);
}
