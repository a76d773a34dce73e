import type { DataChunk, DataKind, DataReference, DispatchedTask, ErrorBody, FunctionCode, JsonValue, StreamItems } from '@funcx/protocol';

/** The hub's line to one connected endpoint daemon, whatever carries it (today a Socket.IO socket). */
export interface EndpointChannel {
  /** Tasks to run, with the code of functions the endpoint has not been sent on this channel. */
  dispatch(batch: { tasks: DispatchedTask[]; functions: FunctionCode[] }): void;
  cancel(taskIds: string[]): void;
  /** Ends sessions of their owners (their workers stop). */
  endSessions(sessions: { owner: string; name: string }[]): void;
  /** Ends the connection; the daemon reconnects if the hub still accepts it. */
  close(): void;
  /** A part of a value in the endpoint's data store, read for a user (a client's fetch). */
  readData?(request: { user: string; url: string; offset: number; length: number }): Promise<DataChunk | { error: ErrorBody }>;
  /** Items a user's generator task yielded, from index `from` (waiting up to `wait_ms` for one). */
  readStream?(request: { user: string; task_id: string; from: number; wait_ms: number }): Promise<StreamItems | { error: ErrorBody }>;
  /** Items a user sends to a task's input stream; the answer says how many it took (the rest: send again later). */
  sendInputs?(request: { user: string; task_id: string; items: JsonValue[]; done: boolean }): Promise<{ accepted: number } | { error: ErrorBody }>;
  /** Stores a value in the endpoint's data store for a user. */
  writeData?(request: { user: string; kind: DataKind; bytes: Uint8Array }): Promise<{ ref: DataReference } | { error: ErrorBody }>;
}

/** What a client reaches of an endpoint through a hub: its data store, its tasks' streams and inputs. */
export type EndpointDataChannel = Required<Pick<EndpointChannel, 'readData' | 'readStream' | 'sendInputs' | 'writeData'>>;

/** The channel as a data channel, if it carries all of it (a daemon's socket does). */
export function asDataChannel(channel: EndpointChannel | undefined): EndpointDataChannel | undefined {
  return channel?.readData && channel.readStream && channel.sendInputs && channel.writeData ? (channel as EndpointDataChannel) : undefined;
}

/** Reaches endpoints connected to other hubs sharing the store (several hubs on one Redis). */
export interface RemoteEndpoints {
  /** The endpoint's data, its tasks' streams and inputs. */
  channel(endpoint: { endpoint_id: string; name: string }): EndpointDataChannel;
  /**
   * Asks the hub the endpoint is connected to to cancel these tasks of the user; returns the ids it cancelled,
   * or undefined when no other hub has the endpoint (or it did not answer): this hub then cancels them itself.
   */
  cancel(endpointId: string, user: string, taskIds: string[]): Promise<string[] | undefined>;
  /**
   * The endpoint said hello here: the hub it was connected to closes that connection, so that one hub at a time
   * ends its tasks. Resolves once it has, or when no other hub has the endpoint (or it did not answer in time).
   */
  release(endpointId: string): Promise<void>;
}
