import type { JsonValue } from './json.js';

/**
 * Data references: a value kept in an endpoint's data store, passed between functions (and to clients) by a
 * small typed value instead of inline. The worker side is endpoint/worker/funcx_store.py, the SDK side
 * sdk/python/funcx/store.py; both speak the data wire below to the endpoint daemon's data server.
 */

/** How a stored value's bytes read back: raw `bytes` (bytes, bytearray, memoryview), or a Python `pickle`. */
export type DataKind = 'bytes' | 'pickle';
export const DATA_KINDS: readonly DataKind[] = ['bytes', 'pickle'];

/**
 * A reference as it travels in arguments and results: `$ref` is `funcx-data://STORE/DIGEST` (STORE names the
 * store that holds it: `endpoint.ENDPOINT_ID` for an endpoint's own memory or files, `redis.NAME` for a Redis
 * store several endpoints share), `size` its bytes, `digest` `sha256:HEX`, `endpoint_id` the endpoint that
 * wrote it (the hub fetches it from there for a client).
 */
export interface DataReference {
  $ref: string;
  size: number;
  digest: string;
  kind: DataKind;
  endpoint_id: string;
}

export const DATA_URL_SCHEME = 'funcx-data://';
const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
const STORE_PATTERN = /^(endpoint\.[0-9a-f-]{36}|redis\.[A-Za-z0-9_.-]{1,64})$/;

/** The store and hex digest of a `funcx-data://` URL, or undefined when it is not one. */
export function parseDataUrl(url: string): { store: string; digest: string } | undefined {
  if (!url.startsWith(DATA_URL_SCHEME)) return undefined;
  const [store, digest, ...rest] = url.slice(DATA_URL_SCHEME.length).split('/');
  if (rest.length > 0 || !STORE_PATTERN.test(store ?? '') || !DIGEST_PATTERN.test(digest ?? '')) return undefined;
  return { store, digest };
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

export function dataUrl(store: string, digest: string): string {
  return `${DATA_URL_SCHEME}${store}/${digest}`;
}

/** Whether a JSON value is a data reference (the shape, not whether it exists). */
export function isDataReference(value: unknown): value is DataReference {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const ref = value as Partial<DataReference>;
  return typeof ref.$ref === 'string' && parseDataUrl(ref.$ref) !== undefined && typeof ref.size === 'number';
}

/**
 * The data wire between a worker and its endpoint daemon's data server, over TCP: a request is one JSON line
 * (DataRequest), a reply one JSON line (DataReply), followed for a get by exactly `size` raw bytes. A put is
 * answered twice: first `have` (the store holds that digest already: nothing to send) or `send`, after which
 * the client sends exactly `size` raw bytes and gets the reference. Requests on one connection are answered in
 * order. A put of at most MAX_DATA_INLINE_PUT bytes may send them right after its line (`with_bytes`) and is
 * answered once. A put of any size may instead send its bytes at once and its digest after them
 * (`digest_follows`: `size` bytes, then the 64 hex digits of the sha256 and a newline), so that the writer
 * hashes while it sends; it is answered once, `have` when the store held that digest already. The digest is the
 * writer's own (the server does not hash the bytes again): a user's values are that user's alone, so a wrong
 * digest can only mislabel the writer's own value.
 */
export type DataRequest =
  | { op: 'put'; token: string; kind: DataKind; size: number; digest: string; with_bytes?: true }
  | { op: 'put'; token: string; kind: DataKind; size: number; digest_follows: true }
  | { op: 'get'; token: string; url: string; offset?: number; length?: number }
  | { op: 'stat'; token: string; url: string }
  /** One item a generator task yielded (`size` bytes of its JSON follow), or the end of its stream (`done`). */
  | { op: 'append'; token: string; task: string; size: number; done?: true }
  /** Items from index `from` of a task's input stream (`inputs`) or of another task's items, waiting up to `wait_ms`. */
  | { op: 'take'; token: string; task: string; inputs?: true; from: number; wait_ms: number };

export type DataReply =
  | { ok: true; ref: DataReference; have?: true }
  | { ok: true; send: true }
  | { ok: true; appended: true }
  | { ok: true; items: JsonValue[]; from: number; next: number; done: boolean }
  | { ok: true; kind: DataKind; size: number; total: number; ref: DataReference }
  | { ok: false; code: DataErrorCode; message: string };

export type DataErrorCode = 'unauthorized' | 'not_found' | 'too_large' | 'bad_request' | 'wrong_store' | 'unavailable';

/** Largest put whose bytes may follow its request line at once. */
export const MAX_DATA_INLINE_PUT = 1024 * 1024;
/** What follows the bytes of a `digest_follows` put: the sha256 as 64 lowercase hex digits, then a newline. */
export const DATA_DIGEST_TRAILER_BYTES = 65;
/** Longest request line the data server reads. */
export const MAX_DATA_REQUEST_LINE = 4096;

/** Items a generator task yielded, as a client reads them: `items` from index `from`; ask from `next` after. */
export interface StreamItems {
  task_id: string;
  from: number;
  items: JsonValue[];
  next: number;
  /** The generator has ended and every item was read. */
  done: boolean;
}
