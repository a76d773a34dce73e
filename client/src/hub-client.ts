import { io, type Socket } from 'socket.io-client';
import {
  CLIENT_NAMESPACE,
  FuncxError,
  parseDataUrl,
  type DataKind,
  type DataReference,
  GROUP_PREFIX,
  MAX_SUBMISSION_BYTES,
  type BatchSubmitted,
  type EndpointCreated,
  type EndpointGroupCreation,
  type EndpointGroupUpdate,
  type EndpointGroupView,
  type EndpointRegistration,
  type EndpointView,
  type ErrorBody,
  type FunctionRecord,
  type FunctionRegistration,
  type FunctionSummary,
  type AuditEntry,
  type GroupMembersChange,
  type GroupRecord,
  type IssuedToken,
  type SharingState,
  type SharingUpdate,
  type UserSummary,
  type ClientToServerEvents,
  type ServerToClientEvents,
  type TaskEvent,
  type TaskPage,
  type TaskRecord,
  type TaskState,
  type SessionView,
  type StreamItems,
  type TaskSubmission,
} from '@funcx/protocol';
import { FlowsClient } from './flows-client.js';
import { errorFromSocket, unreachableError } from './hub-errors.js';
import { checkBodySize, hubFetchBytes, hubRequest, type RequestSettings } from './hub-request.js';
import { DEFAULT_RATE_LIMIT_RETRIES, withRateLimitRetry } from './rate-limit-retry.js';
import { socketTarget } from './socket-target.js';
import { TaskTracker, type TaskWatchHandlers } from './task-tracker.js';

export type { TaskWatchHandlers, TaskStateEvent, TaskOutputEvent, TaskFinalEvent } from './task-tracker.js';
export type { FlowsClient, FlowRunQuery } from './flows-client.js';

export interface HubClientOptions {
  hubUrl: string;
  token: string;
  /** Longest wait for one REST call or socket acknowledgement. */
  requestTimeoutMs?: number;
  /** Socket.IO transports, in order of preference. */
  transports?: ('websocket' | 'polling')[];
  /** Largest request body sent; larger ones are refused here, before they travel (the hub's cap). */
  maxBodyBytes?: number;
  /**
   * Times a request the hub refuses for its rate limit (429, on REST or a socket ack) is sent again after the
   * wait the hub asks for, before the hub's error is thrown (default 4; 0 never retries).
   */
  rateLimitRetries?: number;
}

/** Which audit entries to read: `user` (admins only, for another user), `since` (epoch ms), the newest `limit`. */
export interface AuditQueryOptions {
  user?: string;
  since?: number;
  limit?: number;
}

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';
type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The typed client of a hub: REST under /v1 and the /client socket. Uses only fetch and socket.io-client. */
export class HubClient {
  readonly hubUrl: string;
  private readonly settings: RequestSettings;
  private readonly transports: ('websocket' | 'polling')[];
  private socket?: ClientSocket;
  private state: ConnectionState = 'disconnected';
  /** Increments on every (re)connect; events seen within one epoch form an unbroken sequence. */
  private epoch = 0;
  private readonly tracker = new TaskTracker();
  private readonly connectionListeners = new Set<(state: ConnectionState, error?: Error) => void>();
  private readonly taskListeners = new Set<(events: TaskEvent[]) => void>();
  private readonly endpointListeners = new Set<(endpoints: EndpointView[]) => void>();
  private readonly removedListeners = new Set<(endpointIds: string[]) => void>();
  private rejoinTimer?: ReturnType<typeof setTimeout>;
  private rejoinAttempts = 0;
  private flowsClient?: FlowsClient;

  constructor(options: HubClientOptions) {
    this.hubUrl = options.hubUrl.replace(/\/+$/, '');
    this.settings = {
      hubUrl: this.hubUrl,
      token: options.token,
      timeoutMs: options.requestTimeoutMs ?? 60_000,
      maxBodyBytes: options.maxBodyBytes ?? MAX_SUBMISSION_BYTES,
      rateLimitRetries: options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES,
    };
    this.transports = options.transports ?? ['websocket', 'polling'];
  }

  // ---- REST ----

  registerFunction(reg: FunctionRegistration): Promise<{ function_id: string }> {
    return this.request('POST', '/functions', reg);
  }
  listFunctions(): Promise<FunctionSummary[]> {
    return this.request<FunctionSummary[] | { functions: FunctionSummary[] }>('GET', '/functions').then((body) =>
      Array.isArray(body) ? body : body.functions,
    );
  }
  getFunction(id: string): Promise<FunctionRecord> {
    return this.request('GET', `/functions/${encodeURIComponent(id)}`);
  }
  async deleteFunction(id: string): Promise<void> {
    await this.request('DELETE', `/functions/${encodeURIComponent(id)}`);
  }
  registerEndpoint(reg: EndpointRegistration): Promise<EndpointCreated> {
    return this.request('POST', '/endpoints', reg);
  }
  listEndpoints(): Promise<EndpointView[]> {
    return this.request<EndpointView[] | { endpoints: EndpointView[] }>('GET', '/endpoints').then((body) =>
      Array.isArray(body) ? body : body.endpoints,
    );
  }
  getEndpoint(idOrName: string): Promise<EndpointView> {
    return this.request('GET', `/endpoints/${encodeURIComponent(idOrName)}`);
  }
  async deleteEndpoint(id: string): Promise<void> {
    await this.request('DELETE', `/endpoints/${encodeURIComponent(id)}`);
  }

  // ---- endpoint groups (a ref is an id, a name of yours or owner/name, with or without "group:") ----

  createEndpointGroup(creation: EndpointGroupCreation): Promise<EndpointGroupView> {
    return this.request('POST', '/endpoint-groups', creation);
  }
  listEndpointGroups(): Promise<EndpointGroupView[]> {
    return this.request('GET', '/endpoint-groups');
  }
  getEndpointGroup(ref: string): Promise<EndpointGroupView> {
    return this.request('GET', groupPath(ref));
  }
  /** Replaces the fields given; only the group's owner may. */
  updateEndpointGroup(ref: string, update: EndpointGroupUpdate): Promise<EndpointGroupView> {
    return this.request('PUT', groupPath(ref), update);
  }
  async deleteEndpointGroup(ref: string): Promise<void> {
    await this.request('DELETE', groupPath(ref));
  }
  /** Replaces the lists given (public, users, groups); only the group's owner may. */
  shareEndpointGroup(ref: string, update: SharingUpdate): Promise<SharingState> {
    return this.request('PUT', `${groupPath(ref)}/sharing`, update);
  }

  async submit(task: TaskSubmission): Promise<{ task_id: string }> {
    const epoch = this.liveEpoch();
    const submitted = await this.request<{ task_id: string }>('POST', '/tasks', task);
    if (epoch === this.liveEpoch() && epoch > 0) this.tracker.expect([submitted.task_id], epoch);
    return submitted;
  }
  /** Your tasks, newest first, one page at a time (pass `cursor: page.next_cursor` for the next). */
  listTasks(query: { state?: TaskState; endpoint?: string; function?: string; task_group?: string; limit?: number; cursor?: string } = {}): Promise<TaskPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size > 0 ? `?${params}` : '';
    return this.request('GET', `/tasks${search}`);
  }
  getTask(id: string): Promise<TaskRecord> {
    return this.request('GET', `/tasks/${encodeURIComponent(id)}`);
  }
  async cancelTask(id: string): Promise<void> {
    await this.request('POST', `/tasks/${encodeURIComponent(id)}/cancel`);
  }
  /** What a generator task yielded from index `from`, waiting up to `waitMs` for an item (StreamFollower loops over it). */
  readItems(id: string, from: number, waitMs: number): Promise<StreamItems> {
    return this.request('GET', `/tasks/${encodeURIComponent(id)}/items?from=${from}&wait_ms=${waitMs}`);
  }
  /** Your sessions on the endpoints you may use (or on one), as the endpoints last reported them. */
  async listSessions(endpoint?: string): Promise<SessionView[]> {
    const query = endpoint === undefined ? '' : `?endpoint=${encodeURIComponent(endpoint)}`;
    return (await this.request<{ sessions: SessionView[] }>('GET', `/sessions${query}`)).sessions;
  }
  /** Ends your session NAME (on `endpoint`, needed when it lives on several); returns it as it was. */
  async endSession(name: string, endpoint?: string): Promise<SessionView> {
    const query = endpoint === undefined ? '' : `?endpoint=${encodeURIComponent(endpoint)}`;
    return (await this.request<{ ended: SessionView }>('DELETE', `/sessions/${encodeURIComponent(name)}${query}`)).ended;
  }
  /** The user this client's token belongs to. */
  whoami(): Promise<{ user: string }> {
    return this.request('GET', '/me');
  }

  /** Flows, their runs and triggers (REST; see FlowsClient). */
  get flows(): FlowsClient {
    return (this.flowsClient ??= new FlowsClient(this.settings));
  }

  // ---- sharing, users, groups, audit ----

  /** Replaces the lists given (public, users, groups); only a function's owner may. */
  shareFunction(id: string, update: SharingUpdate): Promise<SharingState> {
    return this.request('PUT', `/functions/${encodeURIComponent(id)}/sharing`, update);
  }
  /** Replaces the fields given; an endpoint's owner or admins may (its admins: the owner only). */
  shareEndpoint(idOrName: string, update: SharingUpdate): Promise<SharingState> {
    return this.request('PUT', `/endpoints/${encodeURIComponent(idOrName)}/sharing`, update);
  }
  listUsers(): Promise<UserSummary[]> {
    return this.request('GET', '/users');
  }
  addUser(name: string, admin = false): Promise<IssuedToken> {
    return this.request('POST', '/users', { name, admin });
  }
  /** A further token for a user (yourself, or anyone as an admin); `revokeOthers` rotates. */
  issueToken(user: string, revokeOthers = false): Promise<IssuedToken> {
    return this.request('POST', `/users/${encodeURIComponent(user)}/tokens`, { revoke_others: revokeOthers });
  }
  revokeTokens(user: string): Promise<{ user: string; revoked: number }> {
    return this.request('DELETE', `/users/${encodeURIComponent(user)}/tokens`);
  }
  listGroups(): Promise<GroupRecord[]> {
    return this.request('GET', '/groups');
  }
  createGroup(name: string, members: string[] = []): Promise<GroupRecord> {
    return this.request('POST', '/groups', { name, members });
  }
  changeGroupMembers(name: string, change: GroupMembersChange): Promise<GroupRecord> {
    return this.request('PUT', `/groups/${encodeURIComponent(name)}/members`, change);
  }
  async deleteGroup(name: string): Promise<void> {
    await this.request('DELETE', `/groups/${encodeURIComponent(name)}`);
  }
  audit(query: AuditQueryOptions = {}): Promise<AuditEntry[]> {
    const params = new URLSearchParams();
    if (query.user !== undefined) params.set('user', query.user);
    if (query.since !== undefined) params.set('since', String(query.since));
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    const search = params.toString();
    return this.request('GET', `/audit${search ? `?${search}` : ''}`);
  }

  /** A data reference's value through the hub, as a stream of its bytes, with its kind and size. */
  async openData(ref: DataReference): Promise<{ kind: DataKind; size: number; body: ReadableStream<Uint8Array> }> {
    const parsed = parseDataUrl(ref.$ref);
    if (!parsed) throw new FuncxError('FUNCX_BAD_REQUEST', `not a data reference: ${ref.$ref} (a data reference is funcx-data://STORE/DIGEST)`);
    const response = await hubFetchBytes(this.settings, `/endpoints/${encodeURIComponent(ref.endpoint_id)}/data/${parsed.store}/${parsed.digest}`);
    return {
      kind: (response.headers.get('x-funcx-data-kind') ?? 'bytes') as DataKind,
      size: Number(response.headers.get('content-length') ?? ref.size),
      body: response.body!,
    };
  }

  private request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return hubRequest<T>(this.settings, method, path, body);
  }

  // ---- socket ----

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Opens the /client socket; resolves once connected. The socket keeps reconnecting after a lost connection. */
  connect(): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    const socket = this.ensureSocket();
    return new Promise<void>((resolve, reject) => {
      const onConnect = () => {
        socket.off('connect_error', onError);
        resolve();
      };
      const onError = (error: Error) => {
        socket.off('connect', onConnect);
        reject(this.connectError(socket, error));
      };
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
      if (!socket.active) {
        this.setState('connecting');
        socket.connect();
      }
    });
  }

  onConnectionChange(cb: (state: ConnectionState, error?: Error) => void): () => void {
    this.connectionListeners.add(cb);
    return () => this.connectionListeners.delete(cb);
  }
  /** Every event of the user's tasks, in order, as they arrive. */
  onTaskEvents(cb: (events: TaskEvent[]) => void): () => void {
    this.taskListeners.add(cb);
    return () => this.taskListeners.delete(cb);
  }
  onEndpointStatus(cb: (endpoints: EndpointView[]) => void): () => void {
    this.endpointListeners.add(cb);
    return () => this.endpointListeners.delete(cb);
  }
  /** Endpoints that were deleted (or that the user can no longer see). */
  onEndpointRemoved(cb: (endpointIds: string[]) => void): () => void {
    this.removedListeners.add(cb);
    return () => this.removedListeners.delete(cb);
  }

  /** Submits tasks over the socket (one message for the whole batch). */
  async submitLive(tasks: TaskSubmission[]): Promise<BatchSubmitted> {
    await this.connect();
    const epoch = this.epoch;
    checkBodySize(JSON.stringify(tasks), this.settings.maxBodyBytes);
    const submitted = await this.ack('tasks:submit', { tasks });
    if (epoch === this.liveEpoch()) this.tracker.expect(submitted.task_ids, epoch);
    return submitted;
  }

  /** Calls the handlers for what the task already did, then live; returns a function that stops watching. */
  watchTask(taskId: string, handlers: TaskWatchHandlers): () => void {
    let stop: (() => void) | undefined;
    let stopped = false;
    this.connect().then(
      () => {
        if (stopped) return;
        stop = this.tracker.watch(taskId, handlers, this.epoch, (ids) => this.subscribe(ids));
      },
      (error: FuncxError) => {
        if (!stopped) handlers.onError?.(error);
      },
    );
    return () => {
      stopped = true;
      stop?.();
    };
  }

  /** Resolves with the task's record once it is in a final state. */
  waitForTask(taskId: string): Promise<TaskRecord> {
    return new Promise<TaskRecord>((resolve, reject) => {
      const stop = this.watchTask(taskId, {
        onFinal: () => {
          stop();
          this.getTask(taskId).then(resolve, reject);
        },
        onError: (error) => {
          stop();
          reject(error);
        },
      });
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    clearTimeout(this.rejoinTimer);
    this.rejoinTimer = undefined;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    this.setState('disconnected');
  }

  private ensureSocket(): ClientSocket {
    if (this.socket) return this.socket;
    const target = socketTarget(this.hubUrl);
    const socket: ClientSocket = io(target.url, {
      path: target.path,
      auth: { token: this.settings.token },
      transports: this.transports,
      tryAllTransports: this.transports.length > 1,
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
    });
    socket.on('connect', () => {
      this.rejoinAttempts = 0;
      this.epoch++;
      this.setState('connected');
      if (this.epoch > 1) this.tracker.resync(this.epoch, (ids) => this.subscribe(ids));
    });
    let revoked: FuncxError | undefined;
    socket.on('session:revoked', (error) => {
      revoked = errorFromSocket(error, 'FUNCX_UNAUTHORIZED');
    });
    socket.on('disconnect', (reason) => {
      // A hub that shuts down (a restart) closes our socket itself, and Socket.IO does not retry that; a hub
      // that revoked our token closes it too, and then trying again is pointless.
      if (reason === 'io server disconnect' && !revoked) this.rejoin(socket);
      this.setState(socket.active || this.rejoinTimer ? 'connecting' : 'disconnected', revoked);
    });
    socket.on('connect_error', (error) =>
      this.setState(socket.active ? 'connecting' : 'disconnected', this.connectError(socket, error)),
    );
    socket.on('task:events', (events) => {
      this.tracker.ingest(events);
      for (const listener of this.taskListeners) listener(events);
    });
    socket.on('endpoint:status', (endpoints) => {
      for (const listener of this.endpointListeners) listener(endpoints);
    });
    socket.on('endpoint:removed', (endpointIds) => {
      for (const listener of this.removedListeners) listener(endpointIds);
    });
    this.socket = socket;
    return socket;
  }

  private rejoin(socket: ClientSocket): void {
    const delay = Math.min(250 * 2 ** this.rejoinAttempts++, 5_000);
    this.rejoinTimer = setTimeout(() => {
      this.rejoinTimer = undefined;
      if (this.socket === socket && !socket.active) socket.connect();
    }, delay);
  }

  private connectError(socket: ClientSocket, error: Error): FuncxError {
    // A refused handshake (bad token) stops reconnecting; a transport failure keeps trying.
    if (!socket.active) return errorFromSocket(error, 'FUNCX_UNAUTHORIZED');
    return unreachableError(this.hubUrl, error);
  }

  private subscribe(taskIds: string[]): Promise<TaskRecord[]> {
    return this.ack('tasks:subscribe', { task_ids: taskIds }).then((r) => r.tasks);
  }

  /** An acknowledged request; one refused for the rate limit is sent again after the hub's retry time. */
  private ack<E extends AckedEvent>(event: E, request: AckRequest<E>): Promise<AckAnswer<E>> {
    return withRateLimitRetry(() => this.ackOnce(event, request), this.settings.rateLimitRetries);
  }

  private async ackOnce<E extends AckedEvent>(event: E, request: AckRequest<E>): Promise<AckAnswer<E>> {
    const socket = this.socket;
    if (!socket || this.state !== 'connected') throw unreachableError(this.hubUrl, new Error('socket not connected'));
    let response: AckAnswer<E> | { error: ErrorBody };
    try {
      const emitter = socket.timeout(this.settings.timeoutMs) as unknown as TypedAckEmitter;
      response = await emitter.emitWithAck(event, request);
    } catch (error) {
      throw unreachableError(this.hubUrl, error);
    }
    if (response && typeof response === 'object' && 'error' in response) throw errorFromSocket(response.error);
    return response;
  }

  private liveEpoch(): number {
    return this.state === 'connected' ? this.epoch : 0;
  }

  private setState(state: ConnectionState, error?: Error): void {
    if (state === this.state && !error) return;
    this.state = state;
    for (const listener of this.connectionListeners) listener(state, error);
  }
}

function groupPath(ref: string): string {
  return `/endpoint-groups/${encodeURIComponent(ref.startsWith(GROUP_PREFIX) ? ref.slice(GROUP_PREFIX.length) : ref)}`;
}

/** Client events the hub answers through an ack, with the request each takes and the answer it gives. */
type AckedEvent = 'tasks:submit' | 'tasks:subscribe' | 'tasks:cancel';
type AckRequest<E extends AckedEvent> = Parameters<ClientToServerEvents[E]>[0];
type AckAnswer<E extends AckedEvent> = Exclude<Parameters<Parameters<ClientToServerEvents[E]>[1]>[0], { error: ErrorBody }>;

/**
 * socket.io's timeout() emitter, seen through the event map one event at a time: its own typing of emitWithAck
 * over a generic event name does not resolve, so the map's types are restated here rather than cast away.
 */
interface TypedAckEmitter {
  emitWithAck<E extends AckedEvent>(event: E, request: AckRequest<E>): Promise<AckAnswer<E> | { error: ErrorBody }>;
}
