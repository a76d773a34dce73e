import { randomUUID } from 'node:crypto';
import type { Relay } from '../tasks/dispatcher.js';

type SessionRefs = { owner: string; name: string }[];

/** What a hub publishes in one tick: endpoints whose queue has work, cancels and session ends for endpoints elsewhere. */
interface RelayMessage {
  from: string;
  work: string[];
  cancel: [endpointId: string, taskIds: string[]][];
  end_sessions?: [endpointId: string, sessions: SessionRefs][];
}

export interface RelayTarget {
  /** Drain this endpoint's queue if the endpoint is connected here. */
  work(endpointId: string): void;
  cancel(endpointId: string, taskIds: string[]): void;
  endSessions(endpointId: string, sessions: SessionRefs): void;
}

export interface Publisher {
  publish(channel: string, message: string): Promise<unknown>;
}

export interface Subscriber {
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
}

/**
 * Hubs sharing a Redis tell each other over one pub/sub channel that a queue has work (a task submitted on
 * hub A for an endpoint connected to hub B is dispatched by B) or that tasks are cancelled. Everything relayed
 * in one tick goes out as one message. A lost message (Redis restarting) delays nothing for long: each hub
 * also drains the queues of its endpoints on every hello and every few seconds.
 */
export class RedisRelay implements Relay {
  private readonly id = randomUUID();
  private pendingWork = new Set<string>();
  private cancels: [string, string[]][] = [];
  private sessionEnds: [string, SessionRefs][] = [];
  private scheduled = false;

  private constructor(
    private readonly publisher: Publisher,
    private readonly subscriber: Subscriber,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async start(publisher: Publisher, subscriber: Subscriber, channel: string, target: RelayTarget, onError: (error: unknown) => void): Promise<RedisRelay> {
    const relay = new RedisRelay(publisher, subscriber, channel, onError);
    await subscriber.subscribe(channel, (text) => {
      let message: RelayMessage;
      try {
        message = JSON.parse(text) as RelayMessage;
      } catch {
        return;
      }
      if (message.from === relay.id) return;
      for (const endpointId of message.work ?? []) target.work(endpointId);
      for (const [endpointId, taskIds] of message.cancel ?? []) target.cancel(endpointId, taskIds);
      for (const [endpointId, sessions] of message.end_sessions ?? []) target.endSessions(endpointId, sessions);
    });
    return relay;
  }

  work(endpointId: string): void {
    this.pendingWork.add(endpointId);
    this.schedule();
  }

  cancel(endpointId: string, taskIds: string[]): void {
    this.cancels.push([endpointId, taskIds]);
    this.schedule();
  }

  endSessions(endpointId: string, sessions: SessionRefs): void {
    this.sessionEnds.push([endpointId, sessions]);
    this.schedule();
  }

  async stop(): Promise<void> {
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const message: RelayMessage = { from: this.id, work: [...this.pendingWork], cancel: this.cancels };
      if (this.sessionEnds.length > 0) message.end_sessions = this.sessionEnds;
      this.pendingWork = new Set();
      this.cancels = [];
      this.sessionEnds = [];
      this.publisher.publish(this.channel, JSON.stringify(message)).catch(this.onError);
    });
  }
}
