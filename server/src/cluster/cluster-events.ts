import { randomUUID } from 'node:crypto';
import { HUB_EVENT_SEPARATOR, HUB_SAYS, hubEventMessage, hubSaying, type HubEventDelivery, type ServerToClientEvents, type TaskEvent } from '@funcx/protocol';
import type { ClientChannel } from '../events/client-channel.js';
import type { LocalInterest } from '../events/local-interest.js';
import type { PeerMessageKind } from '../metrics.js';
import { AwaitedAnswers } from './awaited-answers.js';
import type { Publisher, Subscriber } from './redis-relay.js';
import type { BufferSubscriber } from './remote-endpoints.js';
import { UserEventChannels } from './user-event-channels.js';

type EventName = keyof ServerToClientEvents;

export interface EventsPublisher extends Publisher {
  /** How many connections are subscribed to the channel. */
  listeners(channel: string): Promise<number>;
}

/** How long a joining hub waits for the hubs already there to answer its hello. */
const WELCOME_TIMEOUT_MS = 2_000;
/** A hub that publishes only users' task events asks Redis this often whether another hub still listens. */
const PEER_CHECK_MS = 5_000;

/**
 * Client events with several hubs on one Redis. A hub delivers each event to its own clients (sockets, event
 * streams, flows waiting on tasks) and, for the clients of the other hubs, publishes everything of one turn of
 * its event loop: a user's task events as one message on that user's channel (UserEventChannels: heard only by
 * hubs with clients of that user, and published only while one listens), every other event in one message on
 * the hubs' shared channel. Each hub delivers what the others publish to its own clients. So a client sees
 * every event of its tasks whichever hub it is connected to and whichever hub the endpoint is. A message lost
 * while Redis restarts loses those events: clients read their tasks again when they reconnect.
 *
 * A hub alone on its Redis publishes nothing (in a sequential round trip the two messages cost its event loop
 * a tenth of a millisecond, for no reader). It knows it is alone from the listeners Redis counts on the shared
 * channel: for its hello, for each message it publishes there, when another hub says goodbye, and every few
 * seconds while it publishes on users' channels only. A hub that joins says hello and takes connections only
 * once every hub there has answered, so none of its clients can miss an event published meanwhile.
 */
export class ClusterEvents implements ClientChannel {
  private readonly id = randomUUID();
  private queued: HubEventDelivery[] = [];
  private readonly users: UserEventChannels;
  private scheduled = false;
  /** When Redis was last asked whether another hub listens (publishing on users' channels alone never tells). */
  private peersCheckedAt = 0;
  /** Messages of client events published and received (those of other hubs only), by channel. */
  readonly counts = new Map<PeerMessageKind, number>();
  /** Another hub may be listening (true until this hub's hello has been counted). */
  private peers = true;
  /** Hellos heard so far: a publish that found no reader says nothing of a hub that said hello since it was sent. */
  private hellos = 0;
  private readonly answers = new AwaitedAnswers();

  constructor(
    private readonly publisher: EventsPublisher,
    private readonly subscriber: Subscriber & BufferSubscriber,
    private readonly channel: string,
    userChannel: (user: string) => string,
    private readonly onError: (error: unknown) => void,
  ) {
    const shared = { say: (kind: string, ...args: string[]) => this.say(kind, ...args) };
    this.users = new UserEventChannels(this.id, publisher, subscriber, shared, userChannel, (kind) => this.count(kind), onError);
  }

  /**
   * Listens: what other hubs publish goes to `local`, this hub's clients, the task events of each user while
   * `interest` wants them. Resolves once the hubs already there have heard of this one (or after 2 s without an
   * answer from all, publishing regardless).
   */
  async join(local: ClientChannel, interest: LocalInterest): Promise<void> {
    const own = hubEventMessage(this.id, '');
    interest.watch({ gained: (user) => this.users.listen(local, user), lost: (user) => this.users.stopListening(user) });
    await this.subscriber.subscribe(this.channel, (text) => {
      if (text.startsWith(own)) return;
      const body = text.slice(text.indexOf(HUB_EVENT_SEPARATOR) + 1);
      if (body.startsWith('!')) return this.heard(body.slice(1).split(HUB_EVENT_SEPARATOR));
      this.count('received:shared');
      let events: HubEventDelivery[];
      try {
        events = JSON.parse(body) as HubEventDelivery[];
      } catch {
        return;
      }
      if (!Array.isArray(events)) return;
      for (const [audience, users, event, payload] of events) deliver(local, audience, users, event, payload);
    });
    this.answers.expect(HUB_SAYS.hello);
    const others = (await this.say(HUB_SAYS.hello, this.id)) - 1;
    if (!(others > 0)) this.peers = false;
    await this.answers.wait(HUB_SAYS.hello, others, WELCOME_TIMEOUT_MS);
  }

  /** Stops listening, then tells the other hubs (one left alone stops publishing). */
  async leave(interest: LocalInterest): Promise<void> {
    interest.watch(undefined);
    await this.users.stopAll();
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    await this.say(HUB_SAYS.bye, this.id).catch(() => undefined);
  }

  /**
   * The subscription is back after Redis was away: hubs that joined meanwhile did not hear this one, so it
   * publishes again and says hello (the next message it publishes tells it whether anyone listens).
   */
  rejoined(): void {
    this.hellos++;
    this.peers = true;
    this.say(HUB_SAYS.hello, this.id).catch(this.onError);
    this.users.rejoined();
  }

  /** Publishes `!KIND ARGS…` on the shared channel; resolves with how many heard it (this hub too). */
  private async say(kind: string, ...args: string[]): Promise<number> {
    return Number(await this.publisher.publish(this.channel, hubEventMessage(this.id, hubSaying(kind, args))));
  }

  /**
   * Another hub said hello (it is listening: publish from now on, and answer), answered this hub's hello, left
   * (count who listens still), or wants a user's task events or answered this hub's want.
   */
  private heard([kind, hubId, ...rest]: string[]): void {
    if (kind === HUB_SAYS.bye) this.checkPeers();
    else if (kind === HUB_SAYS.hello) {
      this.hellos++;
      this.peers = true;
      this.say(HUB_SAYS.welcome, hubId).catch(this.onError);
    } else if (kind === HUB_SAYS.welcome && hubId === this.id) this.answers.answered(HUB_SAYS.hello);
    else if (kind === HUB_SAYS.want && rest.length >= 2) this.users.heardWant(hubId, rest[0], rest.slice(1).join(HUB_EVENT_SEPARATOR));
    else if (kind === HUB_SAYS.wanted && rest.length === 1) this.users.heardWanted(hubId, rest[0]);
  }

  toAll<E extends EventName>(event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['all', [], event, args[0]]);
  }

  toUsers<E extends EventName>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    if (event !== 'task:events' || users.length !== 1) return this.queue(['users', users, event, args[0]]);
    if (this.peers && this.users.add(users[0], args[0] as TaskEvent[])) this.schedule();
  }

  toAllBut<E extends EventName>(users: string[], event: E, ...args: Parameters<ServerToClientEvents[E]>): void {
    this.queue(['all-but', users, event, args[0]]);
  }

  private queue(delivery: HubEventDelivery): void {
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
    this.users.publish();
    if (this.queued.length > 0) {
      const deliveries = this.queued;
      this.queued = [];
      this.peersCheckedAt = Date.now();
      this.count('published:shared');
      this.whenAlone(this.publisher.publish(this.channel, hubEventMessage(this.id, JSON.stringify(deliveries))));
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

function deliver(local: ClientChannel, audience: HubEventDelivery[0], users: string[], event: EventName, payload: unknown): void {
  // The payload is what this hub's own fanout sent for that event; typed by the event's name.
  const args = [payload] as Parameters<ServerToClientEvents[typeof event]>;
  if (audience === 'all') local.toAll(event, ...args);
  else if (audience === 'users') local.toUsers(users, event, ...args);
  else if (audience === 'all-but') local.toAllBut(users, event, ...args);
}
