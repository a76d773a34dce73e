import { FuncxError, isErrorBody, parseDataUrl, type DataChunk, type DataKind, type DataReference, type EndpointRecord, type ErrorBody, type JsonValue, type StreamItems } from '@funcx/protocol';
import type { Dispatcher } from '../tasks/dispatcher.js';
import { asDataChannel, type EndpointDataChannel } from '../tasks/endpoint-channel.js';

/** Parts a client's read is fetched in from the endpoint (each one Socket.IO message). */
export const DATA_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads and writes of endpoints' data stores for clients: the hub asks the endpoint's daemon over its socket,
 * on behalf of the user it authenticated; the daemon serves only that user's values.
 */
export class DataRelay {
  constructor(private readonly dispatcher: Dispatcher) {}

  /** The endpoint's channel here, or through the hub it is connected to. */
  private channel(endpoint: EndpointRecord): EndpointDataChannel {
    const channel = asDataChannel(this.dispatcher.channelOf(endpoint.endpoint_id)) ?? this.dispatcher.remote?.channel(endpoint);
    if (!channel) throw endpointOffline(endpoint.name);
    return channel;
  }

  /** The daemon's answer to `what`; its error as the client's, a failure to answer as "unavailable". */
  private async answer<T>(endpoint: EndpointRecord, what: string, asked: () => Promise<T | { error: ErrorBody }>): Promise<T> {
    let reply: T | { error: ErrorBody };
    try {
      reply = await asked();
    } catch (error) {
      if (error instanceof FuncxError) throw error;
      throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} did not answer ${what} in time`);
    }
    if (typeof reply === 'object' && reply !== null && 'error' in reply && isErrorBody(reply.error)) throw FuncxError.fromBody(reply.error);
    return reply as T;
  }

  /** The first part of a value (with its whole size), and a reader of the rest. */
  async open(user: string, endpoint: EndpointRecord, url: string): Promise<{ first: DataChunk; rest: () => AsyncGenerator<Uint8Array> }> {
    if (!parseDataUrl(url)) throw new FuncxError('FUNCX_BAD_REQUEST', `not a data reference: ${JSON.stringify(url.slice(0, 200))} (a data reference is funcx-data://STORE/DIGEST)`);
    const channel = this.channel(endpoint);
    const read = (offset: number) => this.answer(endpoint, 'a read of its data store', () => channel.readData({ user, url, offset, length: DATA_CHUNK_BYTES }));
    const first = await read(0);
    async function* rest(): AsyncGenerator<Uint8Array> {
      let offset = first.bytes.byteLength;
      while (offset < first.total) {
        const chunk = await read(offset);
        if (chunk.bytes.byteLength === 0) throw new FuncxError('FUNCX_DATA_UNAVAILABLE', 'the value ended early (it expired while it was read)');
        offset += chunk.bytes.byteLength;
        yield chunk.bytes;
      }
    }
    return { first, rest };
  }

  /** Items of a user's generator task, from index `from`, waiting up to `waitMs` for one. */
  stream(user: string, endpoint: EndpointRecord, taskId: string, from: number, waitMs: number): Promise<StreamItems> {
    const channel = this.channel(endpoint);
    return this.answer(endpoint, "a read of a task's stream", () => channel.readStream({ user, task_id: taskId, from, wait_ms: waitMs }));
  }

  send(user: string, endpoint: EndpointRecord, taskId: string, items: JsonValue[], done: boolean): Promise<{ accepted: number }> {
    const channel = this.channel(endpoint);
    return this.answer(endpoint, "a task's inputs", () => channel.sendInputs({ user, task_id: taskId, items, done }));
  }

  async write(user: string, endpoint: EndpointRecord, kind: DataKind, bytes: Uint8Array): Promise<DataReference> {
    const channel = this.channel(endpoint);
    return (await this.answer(endpoint, 'a write to its data store', () => channel.writeData({ user, kind, bytes }))).ref;
  }
}

export function endpointOffline(name: string): FuncxError {
  return new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${name} is offline: its data store and its tasks' streams can be reached once it is online again`);
}
