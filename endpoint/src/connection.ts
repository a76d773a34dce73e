import { io, type Socket } from 'socket.io-client';
import {
  ENDPOINT_NAMESPACE,
  FuncxError,
  isErrorBody,
  type DispatchedTask,
  type EndpointHello,
  type EndpointWelcome,
  type EndpointToServerEvents,
  type ErrorBody,
  type FunctionCode,
  type ServerToEndpointEvents,
  type TaskCompletion,
  type TaskOutputUpdate,
  type TaskStateUpdate,
} from '@funcx/protocol';
import type { DataRelay } from './data/daemon-data.js';
import type { Log } from './log.js';
import type { OutboxSink } from './outbox.js';
import { ReceiptWaits } from './receipt-waits.js';

type EndpointSocket = Socket<ServerToEndpointEvents, EndpointToServerEvents>;

export interface ConnectionOptions {
  hubUrl: string;
  endpointToken: string;
  log: Log;
  /** Built at every (re)connect: the tasks the daemon still holds and its load. */
  hello(): EndpointHello;
  onDispatch(tasks: DispatchedTask[], functions: FunctionCode[]): void;
  onCancel(taskIds: string[]): void;
  /** Serves the hub's reads and writes of the data store for clients (absent: the endpoint has none). */
  data?: DataRelay;
  /** The hub asks to end sessions (their users did). */
  onEndSessions?(sessions: { owner: string; name: string }[]): void;
  /** After each successful hello. */
  onReady(): void;
  /** The hub refuses this endpoint for good (token revoked, endpoint deleted). */
  onRejected(message: string): void;
}

const NO_DATA_STORE = {
  error: new FuncxError('FUNCX_DATA_UNAVAILABLE', 'this endpoint has no data store (data_store: false in its config.yaml)').toBody(),
};
const HELLO_TIMEOUT_MS = 10_000;
const DONE_ACK_TIMEOUT_MS = 30_000;
const RECONNECT_DELAY_MS = 500;
const RECONNECT_DELAY_MAX_MS = 10_000;
/** Codes with which the hub refuses a token or an endpoint: retrying cannot help. */
const FATAL_CODES = new Set(['FUNCX_UNAUTHORIZED', 'FUNCX_FORBIDDEN', 'FUNCX_ENDPOINT_NOT_FOUND']);

/** The daemon's one outbound connection: Socket.IO to the hub's `/endpoint` namespace, reconnecting with backoff. */
export class HubConnection implements OutboxSink {
  private readonly socket: EndpointSocket;
  private greeted = false;
  private closed = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  /** The hub said in its welcome that it acknowledges `tasks:done` by receipts. */
  private receiptsAccepted = false;
  private readonly receipts = new ReceiptWaits(DONE_ACK_TIMEOUT_MS);

  constructor(private readonly options: ConnectionOptions) {
    this.socket = io(new URL(ENDPOINT_NAMESPACE, options.hubUrl + '/').href, {
      auth: { token: options.endpointToken },
      transports: ['websocket'],
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      autoConnect: false,
    });
    this.socket.on('connect', () => this.greet());
    this.socket.on('disconnect', (reason) => {
      const wasReady = this.greeted;
      this.greeted = false;
      this.receiptsAccepted = false;
      this.receipts.failAll(`the connection to the hub closed (${reason}) before it recorded these results`);
      if (this.closed) return;
      if (wasReady) options.log('warn', `disconnected from the hub at ${options.hubUrl} (${reason}); reconnecting`);
      // The hub closed this socket on purpose (e.g. missed heartbeats): socket.io does not retry that by itself.
      if (reason === 'io server disconnect') this.retryLater();
    });
    this.socket.on('connect_error', (error: Error & { data?: unknown }) => {
      if (this.closed) return;
      const body = isErrorBody(error.data) ? error.data : undefined;
      if (body && FATAL_CODES.has(body.code)) {
        options.onRejected(`the hub at ${options.hubUrl} refused this endpoint: ${body.message}`);
        return;
      }
      this.failures++;
      if (this.failures === 1 || this.failures % 10 === 0) {
        options.log('warn', `cannot reach the hub at ${options.hubUrl} (${error.message}); retrying`);
      }
      if (!this.socket.active) this.retryLater();
    });
    this.socket.on('tasks:dispatch', (batch) => {
      if (batch.recorded) this.receipts.receive({ recorded: batch.recorded });
      options.onDispatch(batch.tasks ?? [], batch.functions ?? []);
    });
    this.socket.on('tasks:receipt', (receipt) => this.receipts.receive(receipt ?? {}));
    this.socket.on('tasks:cancel', (request) => options.onCancel(request.task_ids ?? []));
    this.socket.on('data:get', (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!options.data) return ack(NO_DATA_STORE);
      void options.data.get(request).then(ack);
    });
    this.socket.on('data:stream', (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!options.data) return ack(NO_DATA_STORE);
      void options.data.stream(request).then(ack);
    });
    this.socket.on('data:send', (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!options.data) return ack(NO_DATA_STORE);
      void options.data.send(request).then(ack);
    });
    this.socket.on('data:put', (request, ack) => {
      if (typeof ack !== 'function') return;
      if (!options.data) return ack(NO_DATA_STORE);
      void options.data.put(request).then(ack);
    });
    this.socket.on('sessions:end', (request) => {
      const sessions = Array.isArray(request?.sessions) ? request.sessions : [];
      options.onEndSessions?.(sessions.filter((session) => typeof session?.owner === 'string' && typeof session?.name === 'string'));
    });
  }

  get ready(): boolean {
    return this.greeted && this.socket.connected;
  }

  start(): void {
    this.socket.connect();
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    const delay = Math.min(RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MS * 2 ** Math.min(this.failures, 5));
    this.retryTimer = setTimeout(() => {
      if (!this.closed && !this.socket.connected) this.socket.connect();
    }, delay);
  }

  private greet(): void {
    const socket = this.socket;
    socket.timeout(HELLO_TIMEOUT_MS).emit('hello', this.options.hello(), (error, response) => {
      if (this.closed || !socket.connected) return;
      if (error || isErrorBody((response as { error?: ErrorBody }).error)) {
        const reason = error ? 'no answer' : (response as { error: ErrorBody }).error.message;
        this.options.log('warn', `the hub did not accept hello (${reason}); reconnecting`);
        socket.disconnect();
        this.retryLater();
        return;
      }
      this.failures = 0;
      this.greeted = true;
      const { name, endpoint_id, receipts } = response as EndpointWelcome;
      this.receiptsAccepted = receipts === true;
      this.options.log('info', `connected to the hub at ${this.options.hubUrl} as endpoint ${name} (${endpoint_id})`);
      this.options.onReady();
    });
  }

  heartbeat(load: EndpointHello['load']): void {
    if (this.ready) this.socket.emit('heartbeat', load);
  }

  sendStates(updates: TaskStateUpdate[]): void {
    this.socket.emit('tasks:state', updates);
  }

  sendOutputs(updates: TaskOutputUpdate[]): void {
    this.socket.emit('tasks:output', updates);
  }

  sendDone(completions: TaskCompletion[]): Promise<string[]> {
    if (this.receiptsAccepted) {
      const recorded = this.receipts.expect(completions.map((completion) => completion.task_id));
      this.socket.emit('tasks:done', completions);
      return recorded;
    }
    return this.socket
      .timeout(DONE_ACK_TIMEOUT_MS)
      .emitWithAck('tasks:done', completions)
      .then((response: { recorded?: string[]; error?: ErrorBody }) => {
        if (isErrorBody(response.error)) throw new Error(response.error.message);
        return response.recorded ?? [];
      });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.socket.disconnect();
  }
}
