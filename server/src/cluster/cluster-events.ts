import { randomUUID } from 'node:crypto';
import type { ServerToClientEvents } from '@funcx/protocol';
import type { ClientChannel } from '../events/client-channel.js';
import type { Publisher, Subscriber } from './redis-relay.js';

type EventName = keyof ServerToClientEvents;

/** One event as another hub delivers it: to everyone, to these users' clients, or to everyone but them. */
type Delivery = [audience: 'all' | 'users' | 'all-but', users: string[], event: EventName, payload: unknown];

/** A message is the publishing hub's id, a space, then the JSON of its deliveries (so a hub skips its own unread). */
const SEPARATOR = ' ';
/** Messages between hubs about themselves start with this where deliveries start with `[`. */
const HELLO = '!hello';
const WELCOME = '!welcome';
/** How long a joining hub waits for the hubs already there to answer its hello. */
const WELCOME_TIMEOUT_MS = 2_000;

/**
 * Client events with several hubs on one Redis. A hub delivers each event to its own clients (sockets, event
 * streams, flows waiting on tasks) and, for the clients of the other hubs, publishes everything of one turn of
 * its event loop as one message; each hub delivers what the others publish to its own clients. So a client
 * sees every event of its tasks whichever hub it is connected to and whichever hub the endpoint is. A message
 * lost while Redis restarts loses those events: clients read their tasks again when they reconnect.
 *
 * A hub alone on its Redis publishes nothing (in a sequential round trip the two messages cost its event loop
 * a tenth of a millisecond, for no reader). It knows it is alone from the receivers Redis counts for each message
 * it publishes and for its hello; a hub that joins says hello and takes connections only once every hub there
 * has answered, so none of its clients can miss an event published meanwhile.
 */
export class ClusterEvents implements ClientChannel {
  private readonly id = randomUUID();
  private queued: Delivery[] = [];
  /** Another hub may be listening (true until this hub's hello has been counted). */
  private peers = true;
  /** Hellos heard so far: a publish that found no reader says nothing of a hub that said hello since it was sent. */
  private hellos = 0;
  /** Answers to this hub's hello: it takes connections once every hub that heard the hello has answered. */
  private welcomes = 0;
  private welcomesDue = Infinity;
  private welcomed: (() => void) | undefined;

  constructor(
    private readonly publisher: Publisher,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Listens: what other hubs publish goes to `local`, this hub's clients. Resolves once the hubs already there
   * have heard of this one (or after 2 s without an answer from all, publishing regardless).
   */
  async join(subscriber: Subscriber, local: ClientChannel): Promise<void> {
    const own = this.id + SEPARATOR;
    await subscriber.subscribe(this.channel, (text) => {
      if (text.startsWith(own)) return;
      const body = text.slice(text.indexOf(SEPARATOR) + 1);
      if (body.startsWith('!')) return this.heard(body);
      let events: Delivery[];
      try {
        events = JSON.parse(body) as Delivery[];
      } catch {
        return;
      }
      if (!Array.isArray(events)) return;
      for (const [audience, users, event, payload] of events) deliver(local, audience, users, event, payload);
    });
    const answered = new Promise<void>((resolve) => (this.welcomed = resolve));
    const others = Number(await this.publisher.publish(this.channel, `${own}${HELLO} ${this.id}`)) - 1;
    if (!(others > 0)) this.peers = false;
    else if (this.welcomes < others) {
      this.welcomesDue = others;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([answered, new Promise<void>((resolve) => (timer = setTimeout(resolve, WELCOME_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    this.welcomed = undefined;
  }

  /**
   * The subscription is back after Redis was away: hubs that joined meanwhile did not hear this one, so it
   * publishes again and says hello (the next message it publishes tells it whether anyone listens).
   */
  rejoined(): void {
    this.hellos++;
    this.peers = true;
    this.publisher.publish(this.channel, `${this.id}${SEPARATOR}${HELLO} ${this.id}`).catch(this.onError);
  }

  /** Another hub said hello (it is listening: publish from now on, and answer) or answered this hub's hello. */
  private heard(body: string): void {
    const [kind, helloId] = body.split(SEPARATOR);
    if (kind === HELLO) {
      this.hellos++;
      this.peers = true;
      this.publisher.publish(this.channel, `${this.id}${SEPARATOR}${WELCOME} ${helloId}`).catch(this.onError);
    } else if (kind === WELCOME && helloId === this.id && ++this.welcomes >= this.welcomesDue) {
      this.welcomed?.();
    }
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
    if (!this.peers) return;
    if (this.queued.length === 0) queueMicrotask(() => this.publish());
    this.queued.push(delivery);
  }

  private publish(): void {
    const events = this.queued;
    this.queued = [];
    const hellos = this.hellos;
    this.publisher.publish(this.channel, this.id + SEPARATOR + JSON.stringify(events)).then((receivers) => {
      // Only this hub heard it: the others have gone (one that comes back says hello).
      if (Number(receivers) <= 1 && this.hellos === hellos) this.peers = false;
    }, this.onError);
  }
}

function deliver(local: ClientChannel, audience: Delivery[0], users: string[], event: EventName, payload: unknown): void {
  // The payload is what this hub's own fanout sent for that event; typed by the event's name.
  const args = [payload] as Parameters<ServerToClientEvents[typeof event]>;
  if (audience === 'all') local.toAll(event, ...args);
  else if (audience === 'users') local.toUsers(users, event, ...args);
  else if (audience === 'all-but') local.toAllBut(users, event, ...args);
}
