import { HUB_EVENT_SEPARATOR, HUB_SAYS, hubEventMessage, type TaskEvent } from '@funcx/protocol';
import type { ClientChannel } from '../events/client-channel.js';
import type { PeerMessageKind } from '../metrics.js';
import { AwaitedAnswers } from './awaited-answers.js';
import type { Publisher } from './redis-relay.js';
import type { BufferSubscriber } from './remote-endpoints.js';

/** How long a hub that wants a user's events waits for every other hub to have heard so. */
const WANT_TIMEOUT_MS = 2_000;

/** What UserEventChannels needs of the hubs' shared channel. */
export interface SharedChannel {
  /** Publishes `!KIND ARGS…` from this hub; resolves with how many connections heard it (this hub's own too). */
  say(kind: string, ...args: string[]): Promise<number>;
}

/**
 * Each user's task events between hubs on one Redis, on that user's own channel. A hub listens there while it
 * has clients of the user (LocalInterest), and publishes a user's events only while another hub listens: a
 * publish that Redis counts no other listener for stops them, until a hub says it wants the user's events
 * (`!want`). That hub waits for every other hub to answer (`!wanted`) before its client reads anything, so no
 * event it should hear is left unpublished once it does.
 */
export class UserEventChannels {
  private pending = new Map<string, TaskEvent[]>();
  private readonly listeners = new Map<string, (message: Buffer) => void>();
  /** Users whose channel Redis has this hub subscribed to (so it counts this hub among the listeners). */
  private readonly subscribed = new Set<string>();
  /** Users whose last message found no other hub listening: nothing is published for them until one wants them. */
  private readonly unheard = new Set<string>();
  /** Wants heard so far: a message that found no other listener says nothing of a hub that wanted since it was sent. */
  private wants = 0;
  private wantSequence = 0;
  private readonly answers = new AwaitedAnswers();

  constructor(
    private readonly hubId: string,
    private readonly publisher: Publisher,
    private readonly subscriber: BufferSubscriber,
    private readonly shared: SharedChannel,
    private readonly channelOf: (user: string) => string,
    private readonly count: (kind: PeerMessageKind) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Events for the other hubs' clients of `user`, published with the rest of this turn's by `publish`; false
   * when no other hub listens for the user (nothing is kept).
   */
  add(user: string, events: TaskEvent[]): boolean {
    if (this.unheard.has(user)) return false;
    const queued = this.pending.get(user);
    if (queued) queued.push(...events);
    else this.pending.set(user, [...events]);
    return true;
  }

  /** One message per user with what `add` gathered. */
  publish(): void {
    const pending = this.pending;
    this.pending = new Map();
    const wants = this.wants;
    for (const [user, events] of pending) {
      const self = this.subscribed.has(user) ? 1 : 0;
      this.count('published:user');
      this.publisher.publish(this.channelOf(user), hubEventMessage(this.hubId, JSON.stringify(events))).then((listeners) => {
        if (Number(listeners) - self <= 0 && this.wants === wants) this.unheard.add(user);
      }, this.onError);
    }
  }

  /**
   * Listens on the user's channel: what other hubs publish there goes to `local`. Resolves once every other hub
   * has heard that this one wants the user's events (or after 2 s without an answer from all).
   */
  async listen(local: ClientChannel, user: string): Promise<void> {
    // This hub's own messages come back to it too: they are skipped before they are decoded.
    const own = Buffer.from(hubEventMessage(this.hubId, ''));
    const listener = (message: Buffer) => {
      if (own.equals(message.subarray(0, own.length))) return;
      this.count('received:user');
      let events: TaskEvent[];
      try {
        events = JSON.parse(message.toString('utf8', message.indexOf(HUB_EVENT_SEPARATOR) + 1)) as TaskEvent[];
      } catch {
        return;
      }
      if (Array.isArray(events) && events.length > 0) local.toUsers([user], 'task:events', events);
    };
    this.listeners.set(user, listener);
    try {
      await this.subscriber.subscribe(this.channelOf(user), listener, true);
      if (this.listeners.get(user) !== listener) return;
      this.subscribed.add(user);
      await this.want(user, true);
    } catch (error) {
      this.onError(error);
    }
  }

  stopListening(user: string): Promise<void> {
    const listener = this.listeners.get(user);
    if (!listener) return Promise.resolve();
    this.listeners.delete(user);
    this.subscribed.delete(user);
    return this.subscriber.unsubscribe(this.channelOf(user), listener, true).then(() => undefined, this.onError);
  }

  stopAll(): Promise<void> {
    return Promise.all([...this.listeners.keys()].map((user) => this.stopListening(user))).then(() => undefined);
  }

  /** Another hub wants `user`'s events (`!want HUB SEQ USER`): publish them from now on, and say it was heard. */
  heardWant(hubId: string, sequence: string, user: string): void {
    this.wants++;
    this.unheard.delete(user);
    this.shared.say(HUB_SAYS.wanted, hubId, sequence).catch(this.onError);
  }

  /** An answer to a want (`!wanted HUB SEQ`), counted if it is to one of this hub's. */
  heardWanted(hubId: string, sequence: string): void {
    if (hubId === this.hubId) this.answers.answered(sequence);
  }

  /**
   * Redis was away: messages may have been lost, so publish for every user again until a message finds no
   * listener, and say again which users this hub wants.
   */
  rejoined(): void {
    this.unheard.clear();
    for (const user of this.listeners.keys()) this.want(user, false).catch(this.onError);
  }

  private async want(user: string, waitForAll: boolean): Promise<void> {
    const sequence = String(++this.wantSequence);
    if (waitForAll) this.answers.expect(sequence);
    const heard = await this.shared.say(HUB_SAYS.want, this.hubId, sequence, user);
    if (waitForAll) await this.answers.wait(sequence, heard - 1, WANT_TIMEOUT_MS);
  }
}
