import type { DataKind } from './data.js';
import type { JsonValue } from './json.js';
import type { TaskRecord } from './tasks.js';

/**
 * What hubs sharing a Redis send each other over pub/sub when a client of one reaches an endpoint connected to
 * another: a read or a write of the endpoint's data store, a read of a task's stream, inputs for a task, a
 * cancel of its tasks. The hub the endpoint is connected to asks its daemon (or, for a cancel, ends the tasks
 * itself: only it ends that endpoint's tasks) and sends the answer back to the hub that asked. `release`: the
 * endpoint said hello to the asking hub, so the one it was connected to closes its connection and answers.
 */
export type EndpointRequest =
  /** Answered with `{ cancelled: string[] }`: the ids it cancelled (the others had ended). */
  | { op: 'cancel'; request: { user: string; task_ids: string[] } }
  | { op: 'release'; request: Record<string, never> }
  | { op: 'readData'; request: { user: string; url: string; offset: number; length: number } }
  | { op: 'readStream'; request: { user: string; task_id: string; from: number; wait_ms: number } }
  | { op: 'sendInputs'; request: { user: string; task_id: string; items: JsonValue[]; done: boolean } }
  /** The value's bytes travel as the message's payload. */
  | { op: 'writeData'; request: { user: string; kind: DataKind } };

export type HubMessage =
  | ({ t: 'request'; from: string; id: string; endpoint_id: string } & EndpointRequest)
  /**
   * `reply`: the daemon's answer (for readData, a DataChunk without its bytes, which are the payload);
   * `not_here`: the endpoint is not connected to that hub (any more); `failed`: the daemon did not answer.
   */
  | { t: 'reply'; id: string; reply?: unknown; not_here?: true; failed?: string }
  /**
   * Tasks handed to the hub an endpoint is connected to by the hub they were submitted to, published by the
   * submission's own script once their records are written, and held in the endpoint's in-flight set with their
   * first attempt counted: the receiving hub sends them on, or puts them back in the queue if the endpoint left.
   */
  | { t: 'tasks'; endpoint_id: string; tasks: TaskRecord[] };

/**
 * Most bytes of one hub message's payload or tasks (a relayed read's part of a value, tasks handed over at once).
 * Every message a hub receives passes through its subscriber connection's output buffer in Redis (by default a
 * subscriber is dropped past 32 MB, or past 8 MB for a minute), so larger ones go in parts or another way.
 */
export const MAX_HUB_MESSAGE_BYTES = 1024 * 1024;

/** A hub message as sent: 4 bytes of header length (big-endian), the header as JSON, then the payload. */
export function encodeHubMessage(message: HubMessage, payload?: Uint8Array): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify(message));
  const frame = new Uint8Array(4 + header.byteLength + (payload?.byteLength ?? 0));
  new DataView(frame.buffer).setUint32(0, header.byteLength);
  frame.set(header, 4);
  if (payload) frame.set(payload, 4 + header.byteLength);
  return frame;
}

/** The message and payload of a frame, or undefined for one that is not a hub message. */
export function decodeHubMessage(frame: Uint8Array): { message: HubMessage; payload: Uint8Array } | undefined {
  if (frame.byteLength < 4) return undefined;
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (4 + length > frame.byteLength) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + length)));
  } catch {
    return undefined;
  }
  if (typeof message !== 'object' || message === null) return undefined;
  const t = (message as { t?: unknown }).t;
  if (t === 'tasks') {
    const { endpoint_id, tasks } = message as { endpoint_id?: unknown; tasks?: unknown };
    return typeof endpoint_id === 'string' && Array.isArray(tasks) ? { message: message as HubMessage, payload: frame.subarray(4 + length) } : undefined;
  }
  if (t !== 'request' && t !== 'reply') return undefined;
  if (typeof (message as { id?: unknown }).id !== 'string') return undefined;
  return { message: message as HubMessage, payload: frame.subarray(4 + length) };
}
