import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'redis';
import { io as connectSocket, type Socket } from 'socket.io-client';
import {
  CLIENT_NAMESPACE,
  ENDPOINT_NAMESPACE,
  type ClientToServerEvents,
  type DispatchedTask,
  type FunctionCode,
  type EndpointCreated,
  type EndpointToServerEvents,
  type ServerToClientEvents,
  type ServerToEndpointEvents,
  type TaskEvent,
} from '@funcx/protocol';
import { startHub, type RunningHub } from '../../src/hub.js';
import type { HubOptions } from '../../src/options.js';

export type EndpointClient = Socket<ServerToEndpointEvents, EndpointToServerEvents>;
export type UserClient = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestHub {
  running: RunningHub;
  url: string;
  /** The local user's token (from credentials.json). */
  token: string;
  dir: string;
  dataDir: string;
  /** A REST call through app.inject(); `token: null` sends none. */
  call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, token?: string | null): Promise<{ statusCode: number; body: any }>;
  /** Stops the hub (the temp dir stays until `cleanup`). */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'funcx-hub-test-'));
}

/** A hub on an ephemeral port with its own data dir and FUNCX_HOME. */
export async function startTestHub(options: HubOptions & { dir?: string } = {}): Promise<TestHub> {
  const dir = options.dir ?? tempDir();
  const dataDir = join(dir, 'data');
  const running = await startHub({ port: 0, dataDir, funcxHome: join(dir, 'home'), logLevel: 'warn', localUser: 'alice', ...options });
  let stopped = false;
  const hub: TestHub = {
    running,
    url: running.url,
    token: running.localToken!,
    dir,
    dataDir,
    async call(method, url, body, token) {
      const headers: Record<string, string> = {};
      const bearer = token === undefined ? hub.token : token;
      if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
      const response = await running.app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
      return { statusCode: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.close();
    },
    async cleanup() {
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return hub;
}

export async function registerEndpoint(hub: TestHub, name: string, token?: string): Promise<EndpointCreated> {
  const response = await hub.call('POST', '/v1/endpoints', { name }, token);
  if (response.statusCode !== 201 && response.statusCode !== 200) throw new Error(JSON.stringify(response.body));
  return response.body as EndpointCreated;
}

const SOCKET_OPTIONS = { transports: ['websocket'], reconnection: false, forceNew: true };

/** An endpoint socket that has connected and said hello; `beforeHello` may listen for what the hub sends at once. */
export async function connectEndpoint(
  url: string,
  endpointToken: string,
  heldTaskIds: string[] = [],
  beforeHello: (socket: EndpointClient) => void = () => undefined,
): Promise<EndpointClient> {
  const socket: EndpointClient = connectSocket(url + ENDPOINT_NAMESPACE, { ...SOCKET_OPTIONS, auth: { token: endpointToken } });
  beforeHello(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const load = { workers_total: 2, workers_busy: 0, queued: 0, running: 0, warm_images: [] };
  const reply = await socket.timeout(5000).emitWithAck('hello', { held_task_ids: heldTaskIds, load, version: 'test' });
  if ('error' in reply) throw new Error(reply.error.message);
  return socket;
}

export async function connectClient(url: string, token: string): Promise<UserClient> {
  const socket: UserClient = connectSocket(url + CLIENT_NAMESPACE, { ...SOCKET_OPTIONS, auth: { token } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Gathers every task and function an endpoint socket is sent. */
export function collect(endpoint: EndpointClient): { tasks: DispatchedTask[]; functions: FunctionCode[] } {
  const received = { tasks: [] as DispatchedTask[], functions: [] as FunctionCode[] };
  endpoint.on('tasks:dispatch', (batch) => {
    received.tasks.push(...batch.tasks);
    received.functions.push(...batch.functions);
  });
  return received;
}

/** Resolves when `predicate` holds, checking after every event; rejects after `ms`. */
export function waitFor(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (predicate()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(check, 5);
    };
    check();
  });
}

const hubBin = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** Runs `funcx-hub ARGS` (the compiled CLI) to its end; a non-zero exit is returned, not thrown. */
export async function hubCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [hubBin, ...args], { timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Resolves with the first value of `probe` that is not undefined, polling; rejects after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Submits `source` through `client` to the endpoint named `endpoint`, has the endpoint socket finish it with
 * `value`, and waits for the final event among `events` (the client's task events). Returns the task id.
 */
export async function runThrough(
  client: UserClient,
  events: TaskEvent[],
  daemon: { socket: EndpointClient; received: ReturnType<typeof collect> },
  endpoint: string,
  value: number,
): Promise<string> {
  const reply = await client.timeout(5000).emitWithAck('tasks:submit', { tasks: [{ source: String(value), endpoint }] });
  if ('error' in reply) throw new Error(JSON.stringify(reply));
  const [taskId] = reply.task_ids;
  await waitFor(() => daemon.received.tasks.some((task) => task.task_id === taskId), 5000, 'the dispatch');
  await daemon.socket.timeout(5000).emitWithAck('tasks:done', [{ task_id: taskId, state: 'success', timestamps: {}, result: { value, data: { 'text/plain': String(value) } } }]);
  await waitFor(() => events.some((event) => event.type === 'final' && event.task_id === taskId), 5000, `the final event of task ${value}`);
  return taskId;
}

const IDLE_LOAD = { workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

/** Heartbeats from an endpoint socket every 200 ms while it is connected, so the hub never closes it for silence; returns a stop. */
export function keepBeating(endpoint: EndpointClient): () => void {
  const timer = setInterval(() => endpoint.connected && endpoint.emit('heartbeat', IDLE_LOAD), 200);
  return () => clearInterval(timer);
}

/** Has Redis drop every subscriber connection (the hubs' connect again on their own), as when it restarts. */
export async function dropSubscribers(redisUrl: string): Promise<void> {
  const admin = createClient({ url: redisUrl });
  await admin.connect();
  try {
    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
  } finally {
    await admin.quit();
  }
}
