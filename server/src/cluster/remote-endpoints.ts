import { randomUUID } from 'node:crypto';
import {
  MAX_HUB_MESSAGE_BYTES,
  decodeHubMessage,
  encodeHubMessage,
  type DataChunk,
  type EndpointRequest,
  type ErrorBody,
  type HubMessage,
  type TaskRecord,
} from '@funcx/protocol';
import { endpointOffline } from '../data/data-relay.js';
import type { PresenceRecord } from '../store/store.js';
import { asDataChannel, type EndpointChannel, type EndpointDataChannel, type RemoteEndpoints } from '../tasks/endpoint-channel.js';

/** How long a hub waits for another to answer: the daemon's own time to answer, and some. */
export const RELAY_TIMEOUT_MS = 65_000;

/**
 * How long a hub waits for another to cancel tasks, or to let go of an endpoint that said hello here, before it
 * goes on alone.
 */
export const HANDOVER_TIMEOUT_MS = 5_000;

export interface BufferPublisher {
  /** Resolves with how many subscribers received the message. */
  publish(channel: string, message: Buffer): Promise<number>;
}

/** Subscriptions whose messages arrive undecoded. */
export interface BufferSubscriber {
  subscribe(channel: string, listener: (message: Buffer) => void, bufferMode: true): Promise<unknown>;
  /** Without a listener, every listener of the channel. */
  unsubscribe(channel: string, listener?: (message: Buffer) => void, bufferMode?: true): Promise<unknown>;
}

export interface RemoteEndpointsOptions {
  /** This hub's instance id: its channel's name, and what the presence of its endpoints says. */
  hubId: string;
  /** The pub/sub channel of a hub, by its instance id. */
  channelOf: (hubId: string) => string;
  publisher: BufferPublisher;
  subscriber: BufferSubscriber;
  /** The endpoint's presence as its hub last wrote it (undefined when it is offline). */
  presence: (endpointId: string) => Promise<PresenceRecord | undefined>;
  /** The endpoint's channel if it is connected to this hub. */
  local: (endpointId: string) => EndpointChannel | undefined;
  /** Cancels a user's tasks of an endpoint connected here, for another hub; returns the ids cancelled. */
  cancel: (user: string, taskIds: string[]) => Promise<string[]>;
  /** Closes the connection of an endpoint connected here: it said hello to another hub. */
  release: (endpointId: string) => void;
  /** Tasks another hub handed to this one for an endpoint it found connected here (Store.handOff). */
  handedOver: (endpointId: string, tasks: TaskRecord[]) => void;
  onError: (error: unknown) => void;
  timeoutMs?: number;
  handoverTimeoutMs?: number;
}

/** What the daemon answers a request of this kind. */
type Answer<K extends keyof EndpointDataChannel> = Awaited<ReturnType<EndpointDataChannel[K]>>;

type HubReply = Extract<HubMessage, { t: 'reply' }>;

interface Answered {
  message: HubReply;
  payload: Uint8Array;
}

interface Waiting {
  resolve: (answered: Answered) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * A client's reads and writes of an endpoint connected to another hub on the same Redis. The endpoint's
 * presence names its hub; the request goes to that hub's channel, which asks the daemon and answers on the
 * asking hub's channel. Hubs sharing a Redis trust each other with the user each request is made for, as they
 * already share every record.
 */
export class RemoteEndpointRelay implements RemoteEndpoints {
  private readonly waiting = new Map<string, Waiting>();
  private readonly timeoutMs: number;
  private readonly handoverTimeoutMs: number;

  private constructor(private readonly options: RemoteEndpointsOptions) {
    this.timeoutMs = options.timeoutMs ?? RELAY_TIMEOUT_MS;
    this.handoverTimeoutMs = options.handoverTimeoutMs ?? HANDOVER_TIMEOUT_MS;
  }

  static async start(options: RemoteEndpointsOptions): Promise<RemoteEndpointRelay> {
    const relay = new RemoteEndpointRelay(options);
    await options.subscriber.subscribe(options.channelOf(options.hubId), (frame) => relay.received(frame), true);
    return relay;
  }

  channel(endpoint: { endpoint_id: string; name: string }): EndpointDataChannel {
    const ask = async (request: EndpointRequest, payload?: Uint8Array) => {
      const answer = await this.ask(endpoint.endpoint_id, endpoint.name, request, this.timeoutMs, payload);
      if (!answer) throw endpointOffline(endpoint.name);
      return answer;
    };
    return {
      readData: async (request) => {
        const length = Math.min(request.length, MAX_HUB_MESSAGE_BYTES);
        const { reply, payload } = await ask({ op: 'readData', request: { ...request, length } });
        if (isErrorReply(reply)) return reply;
        return { ...(reply as Omit<DataChunk, 'bytes'>), bytes: payload };
      },
      readStream: async (request) => (await ask({ op: 'readStream', request })).reply as Answer<'readStream'>,
      sendInputs: async (request) => (await ask({ op: 'sendInputs', request })).reply as Answer<'sendInputs'>,
      writeData: async ({ user, kind, bytes }) => (await ask({ op: 'writeData', request: { user, kind } }, bytes)).reply as Answer<'writeData'>,
    };
  }

  async cancel(endpointId: string, user: string, taskIds: string[]): Promise<string[] | undefined> {
    const answer = await this.handOver(endpointId, { op: 'cancel', request: { user, task_ids: taskIds } });
    const cancelled = (answer?.reply as { cancelled?: unknown } | undefined)?.cancelled;
    return Array.isArray(cancelled) ? cancelled.filter((id): id is string => typeof id === 'string') : undefined;
  }

  async release(endpointId: string): Promise<void> {
    await this.handOver(endpointId, { op: 'release', request: {} });
  }

  /** A request this hub carries out itself when no other hub answers it in time. */
  private async handOver(endpointId: string, request: EndpointRequest): Promise<{ reply: unknown } | undefined> {
    try {
      return await this.ask(endpointId, endpointId, request, this.handoverTimeoutMs);
    } catch (error) {
      this.options.onError(error);
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await this.options.subscriber.unsubscribe(this.options.channelOf(this.options.hubId)).catch(() => undefined);
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error('the hub is shutting down'));
      this.waiting.delete(id);
    }
  }

  /** The other hub's answer; undefined when the endpoint is not connected to another hub that is there. */
  private async ask(endpointId: string, name: string, request: EndpointRequest, timeoutMs: number, payload?: Uint8Array): Promise<{ reply: unknown; payload: Uint8Array } | undefined> {
    const presence = await this.options.presence(endpointId);
    if (!presence?.hub || presence.hub === this.options.hubId) return undefined;
    const id = randomUUID();
    const answered = new Promise<Answered>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer from the hub of endpoint ${name} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
    });
    const message: HubMessage = { t: 'request', from: this.options.hubId, id, endpoint_id: endpointId, ...request };
    let receivers: number;
    try {
      receivers = await this.options.publisher.publish(this.options.channelOf(presence.hub), Buffer.from(encodeHubMessage(message, payload)));
    } catch (error) {
      this.settle(id);
      throw error;
    }
    if (receivers === 0) {
      this.settle(id);
      return undefined;
    }
    const { message: answer, payload: bytes } = await answered;
    if (answer.not_here) return undefined;
    if (answer.failed !== undefined) throw new Error(answer.failed);
    return { reply: answer.reply, payload: bytes };
  }

  private settle(id: string): Waiting | undefined {
    const waiting = this.waiting.get(id);
    if (!waiting) return undefined;
    clearTimeout(waiting.timer);
    this.waiting.delete(id);
    return waiting;
  }

  private received(frame: Buffer): void {
    const decoded = decodeHubMessage(frame);
    if (!decoded) return;
    const { message, payload } = decoded;
    if (message.t === 'reply') {
      this.settle(message.id)?.resolve({ message, payload });
      return;
    }
    if (message.t === 'tasks') {
      this.options.handedOver(message.endpoint_id, message.tasks);
      return;
    }
    this.answer(message, payload).catch(this.options.onError);
  }

  /** A request from another hub for an endpoint connected here: the daemon's answer goes back to that hub. */
  private async answer(message: HubRequest, payload: Uint8Array): Promise<void> {
    if (typeof message.from !== 'string' || typeof message.endpoint_id !== 'string') return;
    const local = this.options.local(message.endpoint_id);
    let body: ReplyBody;
    let bytes: Uint8Array | undefined;
    try {
      if (!local) body = { not_here: true };
      else if (message.op === 'cancel') body = { reply: { cancelled: await this.options.cancel(message.request.user, message.request.task_ids) } };
      else if (message.op === 'release') {
        this.options.release(message.endpoint_id);
        body = { reply: {} };
      } else {
        const channel = asDataChannel(local);
        if (!channel) body = { not_here: true };
        else [body, bytes] = await perform(channel, message, payload);
      }
    } catch (error) {
      body = { failed: (error as Error).message ?? String(error) };
    }
    await this.options.publisher.publish(this.options.channelOf(message.from), Buffer.from(encodeHubMessage({ t: 'reply', id: message.id, ...body }, bytes)));
  }
}

type HubRequest = Extract<HubMessage, { t: 'request' }>;
type ReplyBody = Omit<HubReply, 't' | 'id'>;

/** What the daemon answers a request: the reply, and for a read of data its bytes apart. */
async function perform(channel: EndpointDataChannel, message: Exclude<HubRequest, { op: 'cancel' | 'release' }>, payload: Uint8Array): Promise<[ReplyBody, Uint8Array?]> {
  switch (message.op) {
    case 'readData': {
      const chunk = await channel.readData({ ...message.request, length: Math.min(message.request.length, MAX_HUB_MESSAGE_BYTES) });
      if (isErrorReply(chunk)) return [{ reply: chunk }];
      const { bytes, ...rest } = chunk;
      return [{ reply: rest }, bytes];
    }
    case 'readStream':
      return [{ reply: await channel.readStream(message.request) }];
    case 'sendInputs':
      return [{ reply: await channel.sendInputs(message.request) }];
    case 'writeData':
      return [{ reply: await channel.writeData({ ...message.request, bytes: new Uint8Array(payload) }) }];
    default:
      return [{ failed: `this hub does not know the request ${JSON.stringify((message as { op?: unknown }).op)} (update it)` }];
  }
}

function isErrorReply(reply: unknown): reply is { error: ErrorBody } {
  return typeof reply === 'object' && reply !== null && 'error' in reply;
}
