import { createHash } from 'node:crypto';
import { FuncxError, type DataChunk, type DataKind, type DataReference, type ErrorBody, type JsonValue, type StreamItems } from '@funcx/protocol';
import { DEFAULT_DATA_TTL_S, DEFAULT_DATA_USER_BYTES, DEFAULT_RESULT_THRESHOLD_BYTES } from '../config-data.js';
import type { EndpointConfig } from '../config.js';
import type { Log } from '../log.js';
import type { DataBackend } from './data-backend.js';
import { DataServer } from './data-server.js';
import { DataError, DataService } from './data-service.js';
import { dataSecret } from './data-token.js';
import { FilesBackend } from './files-backend.js';
import { MemoryBackend } from './memory-backend.js';
import { RedisBackend } from './redis-backend.js';
import { inputsOf, TaskStreams } from './task-streams.js';

/** How often expired values are dropped (reads and puts drop them as they meet them too). */
const SWEEP_INTERVAL_MS = 60_000;
/** Longest a client's send waits for room in a task's input stream (the hub waits 60 s for the answer). */
const SEND_WAIT_MS = 20_000;
/** Longest a client's read of a stream waits for an item (the hub's ack timeout is longer). */
const MAX_STREAM_WAIT_MS = 20_000;

/** What a manager needs to give its workers their access: where the data server is, and the secret of tokens. */
export interface DataAccessSettings {
  address: string;
  /** hex */
  secret: string;
  result_threshold_bytes: number;
}

export interface DaemonData {
  service: DataService;
  access: DataAccessSettings;
  /** Serves the hub's data:get and data:put for clients. */
  relay: DataRelay;
  close(): Promise<void>;
}

/** Starts the endpoint's data store and its server, unless config.yaml says `data_store: false`. */
export async function startDaemonData(config: EndpointConfig, host: string, log: Log): Promise<DaemonData | undefined> {
  if (config.data_store === false) return undefined;
  const settings = config.data_store ?? {};
  const ownStore = `endpoint.${config.endpoint_id}`;
  let backend: DataBackend;
  if (settings.backend === 'redis') {
    try {
      backend = await RedisBackend.open(settings.url!, settings.name ?? 'default', (message) => log('warn', message));
    } catch (error) {
      throw new Error(`data_store: could not connect to Redis at ${settings.url} (${(error as Error).message}): check that redis-server runs there, or change data_store in config.yaml`);
    }
  } else if (settings.backend === 'files') {
    backend = new FilesBackend(ownStore, settings.dir!);
  } else {
    backend = new MemoryBackend(ownStore);
  }
  const service = new DataService(backend, config.endpoint_id, {
    ttlMs: (settings.ttl_s ?? DEFAULT_DATA_TTL_S) * 1000,
    userBytes: settings.user_bytes ?? DEFAULT_DATA_USER_BYTES,
  });
  const secret = dataSecret();
  const streams = new TaskStreams();
  const server = new DataServer(service, streams, secret, (message) => log('warn', message));
  const address = await server.listen(host, settings.port ?? 0);
  log('info', `data store ${backend.storeName} (${settings.backend ?? 'memory'}) serves workers at ${address}`);
  const sweeper = setInterval(() => {
    streams.sweep(service.limits.ttlMs);
    service.sweepAll().catch((error: unknown) => log('warn', `data store: could not drop expired values: ${(error as Error).message}`));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  return {
    service,
    access: { address, secret: secret.toString('hex'), result_threshold_bytes: settings.result_threshold_bytes ?? DEFAULT_RESULT_THRESHOLD_BYTES },
    relay: new DataRelay(service, streams),
    async close() {
      clearInterval(sweeper);
      await server.close();
      await service.close();
    },
  };
}

const STATUS: Record<DataError['code'], ConstructorParameters<typeof FuncxError>[0]> = {
  not_found: 'FUNCX_DATA_NOT_FOUND',
  too_large: 'FUNCX_DATA_STORE_FULL',
  unauthorized: 'FUNCX_FORBIDDEN',
  bad_request: 'FUNCX_BAD_REQUEST',
  wrong_store: 'FUNCX_DATA_NOT_FOUND',
  unavailable: 'FUNCX_DATA_UNAVAILABLE',
};

function errorBody(error: unknown): { error: ErrorBody } {
  if (error instanceof DataError) return { error: new FuncxError(STATUS[error.code], error.message).toBody() };
  return { error: new FuncxError('FUNCX_DATA_UNAVAILABLE', `the endpoint's data store failed: ${(error as Error).message}`).toBody() };
}

/** The hub's requests for clients (the SDK and the CLI), on behalf of the user the hub names. */
export class DataRelay {
  constructor(
    private readonly service: DataService,
    private readonly streams: TaskStreams,
  ) {}

  /** Items a client sends to a task's input stream; resolves once they are all held (waiting while it is full). */
  async send(request: { user: string; task_id: string; items: JsonValue[]; done: boolean }): Promise<{ accepted: number } | { error: ErrorBody }> {
    try {
      const key = inputsOf(request.task_id);
      let accepted = 0;
      for (const item of request.items) {
        // A task that does not read its inputs fills the stream: the client is told how many it took, and sends the rest later.
        if (!(await this.streams.append(request.user, key, item, false, SEND_WAIT_MS))) return { accepted };
        accepted++;
      }
      if (request.done) await this.streams.append(request.user, key, undefined, true);
      return { accepted };
    } catch (error) {
      return errorBody(error);
    }
  }

  async stream(request: { user: string; task_id: string; from: number; wait_ms: number }): Promise<StreamItems | { error: ErrorBody }> {
    try {
      const read = await this.streams.read(request.user, request.task_id, request.from, Math.min(Math.max(0, request.wait_ms), MAX_STREAM_WAIT_MS));
      return { task_id: request.task_id, ...read };
    } catch (error) {
      return errorBody(error);
    }
  }

  async get(request: { user: string; url: string; offset: number; length: number }): Promise<DataChunk | { error: ErrorBody }> {
    try {
      const read = await this.service.read(request.user, request.url, request.offset, request.length);
      return { ref: read.ref, offset: request.offset, total: read.total, bytes: read.bytes };
    } catch (error) {
      return errorBody(error);
    }
  }

  async put(request: { user: string; kind: DataKind; bytes: Uint8Array }): Promise<{ ref: DataReference } | { error: ErrorBody }> {
    try {
      const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
      const digest = createHash('sha256').update(bytes).digest('hex');
      const existing = await this.service.existing(request.user, digest);
      if (existing) return { ref: existing };
      await this.service.admit(request.user, request.kind, digest, bytes.length);
      return { ref: await this.service.put(request.user, request.kind, digest, bytes) };
    } catch (error) {
      return errorBody(error);
    }
  }
}
