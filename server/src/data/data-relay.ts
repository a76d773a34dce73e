import { FuncxError, isErrorBody, parseDataUrl, type DataChunk, type DataKind, type DataReference, type EndpointRecord, type ErrorBody, type JsonValue, type StreamItems } from '@funcx/protocol';
import type { Dispatcher } from '../tasks/dispatcher.js';

/** Parts a client's read is fetched in from the endpoint (each one Socket.IO message). */
export const DATA_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Reads and writes of endpoints' data stores for clients: the hub asks the endpoint's daemon over its socket,
 * on behalf of the user it authenticated; the daemon serves only that user's values.
 */
export class DataRelay {
  constructor(private readonly dispatcher: Dispatcher) {}

  private channel(endpoint: EndpointRecord) {
    const channel = this.dispatcher.channelOf(endpoint.endpoint_id);
    if (!channel?.readData || !channel.writeData || !channel.readStream) {
      throw new FuncxError(
        'FUNCX_DATA_UNAVAILABLE',
        `endpoint ${endpoint.name} is not connected to this hub (offline, or connected to another hub on the same Redis): its data store can be read once it is online here`,
      );
    }
    return channel as Required<typeof channel>;
  }

  /** The first part of a value (with its whole size), and a reader of the rest. */
  async open(user: string, endpoint: EndpointRecord, url: string): Promise<{ first: DataChunk; rest: () => AsyncGenerator<Uint8Array> }> {
    if (!parseDataUrl(url)) throw new FuncxError('FUNCX_BAD_REQUEST', `not a data reference: ${JSON.stringify(url.slice(0, 200))} (a data reference is funcx-data://STORE/DIGEST)`);
    const channel = this.channel(endpoint);
    const read = async (offset: number): Promise<DataChunk> => {
      let reply: DataChunk | { error: ErrorBody };
      try {
        reply = await channel.readData({ user, url, offset, length: DATA_CHUNK_BYTES });
      } catch {
        throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} did not answer a read of its data store in time`);
      }
      if ('error' in reply && isErrorBody(reply.error)) throw FuncxError.fromBody(reply.error);
      return reply as DataChunk;
    };
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
  async stream(user: string, endpoint: EndpointRecord, taskId: string, from: number, waitMs: number): Promise<StreamItems> {
    const channel = this.channel(endpoint);
    if (!channel.readStream) throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} does not stream task items (update it)`);
    let reply: StreamItems | { error: ErrorBody };
    try {
      reply = await channel.readStream({ user, task_id: taskId, from, wait_ms: waitMs });
    } catch {
      throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} did not answer a read of a task's stream in time`);
    }
    if ('error' in reply) throw FuncxError.fromBody(reply.error);
    return reply;
  }

  async send(user: string, endpoint: EndpointRecord, taskId: string, items: JsonValue[], done: boolean): Promise<{ accepted: number }> {
    const channel = this.channel(endpoint);
    if (!channel.sendInputs) throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} does not take task inputs (update it)`);
    let reply: { accepted: number } | { error: ErrorBody };
    try {
      reply = await channel.sendInputs({ user, task_id: taskId, items, done });
    } catch {
      throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} did not take the task's inputs in time`);
    }
    if ('error' in reply) throw FuncxError.fromBody(reply.error);
    return reply;
  }

  async write(user: string, endpoint: EndpointRecord, kind: DataKind, bytes: Uint8Array): Promise<DataReference> {
    const channel = this.channel(endpoint);
    let reply: { ref: DataReference } | { error: ErrorBody };
    try {
      reply = await channel.writeData({ user, kind, bytes });
    } catch {
      throw new FuncxError('FUNCX_DATA_UNAVAILABLE', `endpoint ${endpoint.name} did not answer a write to its data store in time`);
    }
    if ('error' in reply) throw FuncxError.fromBody(reply.error);
    return reply.ref;
  }
}
