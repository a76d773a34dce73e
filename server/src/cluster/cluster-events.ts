import { randomUUID } from 'node:crypto';
import type { ServerToClientEvents, TaskEvent } from '@funcx/protocol';
import type { ClientChannel } from '../events/client-channel.js';
import type { LocalInterest } from '../events/local-interest.js';
import type { PeerMessageKind } from '../metrics.js';
import type { Publisher, Subscriber } from './redis-relay.js';

type EventName = keyof ServerToClientEvents;

export interface EventsPublisher extends Publisher {
  /** How many connections are subscribed to the channel. */
  listeners(channel: string): Promise<number>;
}

/** One event as another hub delivers it: to everyone, to these users' clients, or to everyone but them. */
type Delivery = [audience: 'all' | 'users' | 'all-but', users: string[], event: EventName, payload: unknown];

/** A message is the publishing hub's id, a space, then the JSON of its deliveries (so a hub skips its own unread). */
const SEPARATOR = ' ';
/** Messages between hubs about themselves start with this where deliveries start with `[`. */
const HELLO = '!hello';
const WELCOME = '!welcome';
/** A hub that leaves says so, once it listens no more: the others count who is left. */
const BYE = '!bye';
/** How long a joining hub waits for the hubs already there to answer its hello. */
const WELCOME_TIMEOUT_MS = 2_000;
/** A hub that publishes only users' task events asks Redis this often whether another hub still listens. */
const PEER_CHECK_MS = 5_000;

/**
 * Client events with several hubs on one Redis. A hub delivers each event to its own clients (sockets, event
 * streams, flows waiting on tasks) and, for the clients of the other hubs, publishes everything of one turn of
 * its event loop: a user's task events as one message on that user's channel, every other event in one message
 * on the hubs' shared channel. Each hub delivers what the others publish to its own clients, and listens on a
 * user's channel only while that user has clients on it (see LocalInterest), so it reads no task events none of
 * its clients would get. So a client sees every event of its tasks whichever hub it is connected to and
 * whichever hub the endpoint is. A message lost while Redis restarts loses those events: clients read their
 * tasks again when they reconnect.
 *
 * A hub alone on its Redis publishes nothing (in a sequential round trip the two messages cost its event loop
 * a tenth of a millisecond, for no reader). It knows it is alone from the listeners Redis counts on the shared
 * channel: for its hello, for each message it publishes there, when another hub says goodbye, and every few
 * seconds while it publishes on users' channels only. A hub that joins says hello and takes connections only
 * once every hub there has answered, so none of its clients can miss an event published meanwhile.
 */
export class ClusterEvents implements ClientChannel {
  private readonly id = randomUUID();
  private queued: Delivery[] = [];
  /** Task events of this turn, by user, for the hubs listening on each user's channel. */
  private taskEvents = new Map<string, TaskEvent[]>();
  private scheduled = false;
  /** When Redis was last asked whether another hub listens (publishing on users' channels alone never tells). */
  private peersCheckedAt = 0;
  /** The listener of each user channel this hub is on. */
  private readonly userListeners = new Map<string, (text: string) => void>();
  /** Messages of client events published and received (those of other hubs only), by channel. */
  readonly counts = new Map<PeerMessageKind, number>();
  /** Another hub may be listening (true until this hub's hello has been counted). */
  private peers = true;
  /** Hellos heard so far: a publish that found no reader says nothing of a hub that said hello since it was sent. */
  private hellos = 0;
  /** Answers to this hub's hello: it takes connections once every hub that heard the hello has answered. */
  private welcomes = 0;
  private welcomesDue = Infinity;
  private welcomed: (() => void) | undefined;

  constructor(
    private readonly publisher: EventsPublisher,
    private readonly channel: string,
    private readonly userChannel: (user: string) => string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Listens: what other hubs publish goes to `local`, this hub's clients, the task events of each user while
   * `interest` wants them. Resolves once the hubs already there have heard of this one (or after 2 s without an
   * answer from all, publishing regardless).
   */
  async join(subscriber: Subscriber, local: ClientChannel, interest: LocalInterest): Promise<void> {
    const own = this.id + SEPARATOR;
    interest.watch({
      gained: (user) => this.listen(subscriber, local, user),
      lost: (user) => this.stopListening(subscriber, user),
    });
    await subscriber.subscribe(this.channel, (text) => {
      if (text.startsWith(own)) return;
      const body = text.slice(text.indexOf(SEPARATOR) + 1);
      if (body.startsWith('!')) return this.heard(body);
      this.count('received:shared');
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

  /** Stops listening, then tells the other hubs (one left alone stops publishing). */
  async leave(subscriber: Subscriber, interest: LocalInterest): Promise<void> {
    interest.watch(undefined);
    await Promise.all([...this.userListeners.keys()].map((user) => this.stopListening(subscriber, user)));
    await subscriber.unsubscribe(this.channel).catch(() => undefined);
    await this.publisher.publish(this.channel, `${this.id}${SEPARATOR}${BYE} ${this.id}`).catch(() => undefined);
  }

  private listen(subscriber: Subscriber, local: ClientChannel, user: string): Promise<void> {
    const own = this.id + SEPARATOR;
    const listener = (text: string) => {
      if (text.startsWith(own)) return;
      this.count('received:user');
      let events: TaskEvent[];
      try {
        events = JSON.parse(text.slice(text.indexOf(SEPARATOR) + 1)) as TaskEvent[];
      } catch {
        return;
      }
      if (Array.isArray(events) && events.length > 0) local.toUsers([user], 'task:events', events);
    };
    this.userListeners.set(user, listener);
    return subscriber.subscribe(this.userChannel(user), listener).then(() => undefined, this.onError);
  }

  private stopListening(subscriber: Subscriber, user: string): Promise<void> {
    const listener = this.userListeners.get(user);
    if (!listener) return Promise.resolve();
    this.userListeners.delete(user);
    return subscriber.unsubscribe(this.userChannel(user), listener).then(() => undefined, this.onError);
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

  /**
   * Another hub said hello (it is listening: publish from now on, and answer), answered this hub's hello, or
   * left (count who listens still).
   */
  private heard(body: string): void {
    const [kind, helloId] = body.split(SEPARATOR);
    if (kind === BYE) this.checkPeers();
    else if (kind === HELLO) {
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
    if (event !== 'task:events' || users.length !== 1) return this.queue(['users', users, event, args[0]]);
    if (!this.peers) return;
    const [user] = users;
    const events = this.taskEvents.get(user);
    if (events) events.push(...(args[0] as TaskEvent[]));
    else this.taskEvents.set(user, [...(args[0] as TaskEvent[])]);
    this.schedule();
  }

  toAllBut<E extends EventName>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['all-but', users, event, args[0]]);
  }

  private queue(delivery: Delivery): void {
    if (!this.peers) return;
    this.queued.push(delivery);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.publish());
  }

  private publish(): void {
    this.scheduled = false;
    const prefix = this.id + SEPARATOR;
    for (const [user, events] of this.taskEvents) {
      this.count('published:user');
      this.publisher.publish(this.userChannel(user), prefix + JSON.stringify(events)).catch(this.onError);
    }
    this.taskEvents = new Map();
    if (this.queued.length > 0) {
      const deliveries = this.queued;
      this.queued = [];
      this.peersCheckedAt = Date.now();
      this.count('published:shared');
      this.whenAlone(this.publisher.publish(this.channel, prefix + JSON.stringify(deliveries)));
    } else if (Date.now() - this.peersCheckedAt >= PEER_CHECK_MS) this.checkPeers();
  }

  private count(kind: PeerMessageKind): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  }

  private checkPeers(): void {
    this.peersCheckedAt = Date.now();
    this.whenAlone(this.publisher.listeners(this.channel));
  }

  /** Only this hub listens on the shared channel: the others have gone (one that comes back says hello). */
  private whenAlone(listeners: Promise<unknown>): void {
    const hellos = this.hellos;
    listeners.then((count) => {
      if (Number(count) <= 1 && this.hellos === hellos) this.peers = false;
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
