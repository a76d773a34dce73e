import { HubClient, type ConnectionState } from '@funcx/client/hub-client';
import { Signal, type ISignal } from '@lumino/signaling';
import { EndpointGroupsModel } from './models/endpoint-groups-model';
import { EndpointsModel } from './models/endpoints-model';
import { TasksModel } from './models/tasks-model';
import type { IFuncxService } from './tokens';

export interface HubSettings {
  hubUrl: string;
  token: string;
}

export const DEFAULT_HUB_URL = 'http://127.0.0.1:8470';
const RETRY_MIN_MS = 1000;
/** How many of the user's latest tasks the sidebar shows when the page opens. */
const RECENT_TASKS = 20;
const RETRY_MAX_MS = 10_000;

/** Owns the HubClient built from the settings and feeds the endpoints and tasks models from its socket. */
export class FuncxService implements IFuncxService {
  readonly endpoints = new EndpointsModel();
  readonly endpointGroups = new EndpointGroupsModel();
  readonly tasks = new TasksModel();
  private _client: HubClient;
  private _lastError: string | null = null;
  private _user: string | null = null;
  private _disconnectedSince: number | null = null;
  private readonly _connectionChanged = new Signal<this, ConnectionState>(this);
  private readonly _hubUnreachable = new Signal<this, string>(this);
  private unsubscribe: (() => void)[] = [];
  private settings: HubSettings;
  private readyResolve!: () => void;
  /** True while the hub was unreachable and the user has been told. */
  private outageReported = false;
  private _lastErrorCode: string | null = null;
  private retryTimer: number | undefined;
  private retryDelayMs = RETRY_MIN_MS;
  readonly ready = new Promise<void>(resolve => (this.readyResolve = resolve));

  constructor(
    settings: HubSettings = { hubUrl: DEFAULT_HUB_URL, token: '' },
    /** How a client is made for the settings (tests give one that needs no hub). */
    private readonly createClient: (settings: HubSettings) => HubClient = settings => new HubClient(settings)
  ) {
    this.settings = settings;
    this._client = createClient(settings);
  }

  get client(): HubClient {
    return this._client;
  }

  get hubUrl(): string {
    return this._client.hubUrl;
  }

  /** The client's state, except that retrying after a failure shows as 'disconnected' (the hub is unreachable). */
  get connectionState(): ConnectionState {
    const state = this._client.connectionState;
    return state === 'connecting' && this._lastError ? 'disconnected' : state;
  }

  get connectionChanged(): ISignal<this, ConnectionState> {
    return this._connectionChanged;
  }

  /** Emits a short message (what failed, what to check) once per outage; `lastError` has the details. */
  get hubUnreachable(): ISignal<this, string> {
    return this._hubUnreachable;
  }

  get lastError(): string | null {
    return this._lastError;
  }

  get disconnectedSince(): number | null {
    return this._disconnectedSince;
  }

  /** The hub user of the token, once connected. */
  get user(): string | null {
    return this._user;
  }

  /** Applies new settings; reconnects only when they changed. A path ("/") means this page's own origin. */
  configure(settings: HubSettings): void {
    if (settings.hubUrl.startsWith('/') && typeof window !== 'undefined') {
      settings = { ...settings, hubUrl: new URL(settings.hubUrl, window.location.origin).href };
    }
    const same = settings.hubUrl === this.settings.hubUrl && settings.token === this.settings.token;
    this.settings = settings;
    if (!same || this.connectionState === 'disconnected') this.reconnect();
    this.readyResolve();
  }

  reconnect(): void {
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelayMs = RETRY_MIN_MS;
    this._lastErrorCode = null;
    this.detach();
    this._client.close();
    this._client = this.createClient(this.settings);
    this.tasks.setLookup(id => this._client.getTask(id));
    this.outageReported = false;
    this._lastError = null;
    this._user = null;
    this.attach(this._client);
    this._client.connect().catch((error: Error) => this.reportError(error));
  }

  dispose(): void {
    window.clearTimeout(this.retryTimer);
    this.detach();
    this._client.close();
    Signal.clearData(this);
  }

  private attach(client: HubClient): void {
    this.unsubscribe = [
      client.onConnectionChange((state, error) => {
        if (client !== this._client) return;
        if (state === 'connected') {
          this._disconnectedSince = null;
          this._lastError = null;
          this._lastErrorCode = null;
          this.outageReported = false;
          this.retryDelayMs = RETRY_MIN_MS;
          void this.refreshEndpoints(client);
          void this.refreshGroups(client);
          void this.refreshUser(client);
          void this.refreshTasks(client);
          void this.refreshShownTasks(client);
        } else if (error) {
          this.reportError(error);
        }
        if (state === 'disconnected') {
          this._disconnectedSince ??= Date.now();
          this.scheduleRetry(client);
        }
        this._connectionChanged.emit(state);
      }),
      client.onEndpointStatus(endpoints => this.endpoints.update(endpoints)),
      client.onEndpointRemoved(endpointIds => this.endpoints.remove(endpointIds)),
      client.onTaskEvents(events => this.tasks.handleEvents(events))
    ];
    this._connectionChanged.emit(client.connectionState);
  }

  private detach(): void {
    for (const stop of this.unsubscribe) stop();
    this.unsubscribe = [];
  }

  private async refreshEndpoints(client: HubClient): Promise<void> {
    try {
      const endpoints = await client.listEndpoints();
      if (client === this._client) this.endpoints.reset(endpoints);
    } catch (error) {
      this.reportError(error as Error);
    }
  }

  refreshEndpointGroups(): Promise<void> {
    return this.refreshGroups(this._client);
  }

  private async refreshGroups(client: HubClient): Promise<void> {
    try {
      const groups = await client.listEndpointGroups();
      if (client === this._client) this.endpointGroups.reset(groups);
    } catch {
      // an older hub without endpoint groups: none are listed
    }
  }

  private async refreshTasks(client: HubClient): Promise<void> {
    try {
      const { tasks } = await client.listTasks({ limit: RECENT_TASKS });
      if (client === this._client) this.tasks.seed(tasks);
    } catch {
      // an older hub without GET /v1/tasks: the list starts with this page's own tasks
    }
  }

  /**
   * After a (re)connect, the state of every unfinished task the sidebar shows is read again: its final event
   * may have been sent while this page was not connected (a hub restart).
   */
  private async refreshShownTasks(client: HubClient): Promise<void> {
    const unfinished = this.tasks.unfinished();
    await Promise.all(
      unfinished.map(async taskId => {
        try {
          const record = await client.getTask(taskId);
          if (client === this._client) this.tasks.refresh(record);
        } catch {
          // gone from the hub (an in-memory hub restarted): it shows as it was last seen
        }
      })
    );
  }

  private async refreshUser(client: HubClient): Promise<void> {
    try {
      const { user } = await client.whoami();
      if (client !== this._client) return;
      this._user = user;
      this.endpoints.setUser(user);
    } catch {
      // an older hub without /v1/me: outputs are then never marked trusted
    }
  }

  /**
   * Socket.IO stops reconnecting when the server closed the connection (a hub restart) or refused the
   * handshake; connect again with backoff, except after a refused token (retrying cannot fix that).
   */
  private scheduleRetry(client: HubClient): void {
    if (this.retryTimer !== undefined || this._lastErrorCode === 'FUNCX_UNAUTHORIZED') return;
    const delay = this.retryDelayMs;
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, RETRY_MAX_MS);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      if (client !== this._client || client.connectionState !== 'disconnected') return;
      client.connect().catch((error: Error) => this.reportError(error));
    }, delay);
  }

  private reportError(error: Error): void {
    this._disconnectedSince ??= Date.now();
    this._lastError = error.message;
    this._lastErrorCode = (error as { code?: string }).code ?? null;
    this._connectionChanged.emit(this.connectionState);
    if (!this.outageReported) {
      this.outageReported = true;
      const refused = this._lastErrorCode === 'FUNCX_UNAUTHORIZED';
      this._hubUnreachable.emit(
        refused
          ? `the hub at ${this.hubUrl} refused the token: check the token setting.`
          : `cannot reach the hub at ${this.hubUrl}: is funcx-hub running, and is the hubUrl setting right?`
      );
    }
  }
}
