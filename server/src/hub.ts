import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { Server } from 'socket.io';
import { CLIENT_NAMESPACE, ENDPOINT_NAMESPACE, MAX_SOCKET_MESSAGE_BYTES } from '@funcx/protocol';
import { buildApp, type HubApp } from './app.js';
import { startLeaseReaper } from './cluster/lease-reaper.js';
import { joinRedisCluster } from './cluster/redis-cluster.js';
import { ensureCredentials } from './credentials.js';
import { DEFAULT_HOST, DEFAULT_HUB_PORT, type HubOptions } from './options.js';
import { registerClientNamespace } from './sockets/client-namespace.js';
import { refuseDefaultNamespace } from './sockets/default-namespace.js';
import { registerEndpointNamespace } from './sockets/endpoint-namespace.js';
import { RedisStore } from './store/redis.js';

export interface RunningHub extends HubApp {
  io: Server;
  /** http://HOST:PORT with the real port. */
  url: string;
  port: number;
  /** Set when credentials.json was written (options.funcxHome given). */
  credentialsFile?: string;
  /** The local user's token written to credentials.json. */
  localToken?: string;
  close(): Promise<void>;
}

export function localUserName(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Builds the app, attaches Socket.IO to the same HTTP server, listens, and writes credentials.json. */
export async function startHub(options: HubOptions = {}): Promise<RunningHub> {
  const { app, hub } = await buildApp(options);
  const io = new Server(app.server, {
    cors: { origin: '*' },
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    serveClient: false,
  });
  refuseDefaultNamespace(io);
  registerClientNamespace(io, hub);
  const stopLiveness = registerEndpointNamespace(io, hub);
  const leaveCluster = hub.store instanceof RedisStore ? await joinRedisCluster(hub, hub.store) : undefined;
  const stopReaper = startLeaseReaper(hub);
  // Before the HTTP server stops: its WebSocket connections would otherwise keep it open.
  app.addHook('preClose', async () => {
    stopLiveness();
    stopReaper();
    for (const name of [CLIENT_NAMESPACE, ENDPOINT_NAMESPACE]) io.of(name).disconnectSockets(true);
    io.engine.close();
  });
  if (leaveCluster) hub.onClose(leaveCluster);

  const host = options.host ?? DEFAULT_HOST;
  await app.listen({ host, port: options.port ?? DEFAULT_HUB_PORT });
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  hub.flows.engine.publicUrl ??= `http://${urlHost(host)}:${port}`;
  const running: RunningHub = {
    app,
    hub,
    io,
    url,
    port,
    close: () => app.close(),
  };
  if (options.funcxHome) {
    const { file, credentials } = await ensureCredentials(
      hub.store,
      options.funcxHome,
      `http://${urlHost(host)}:${port}`,
      options.localUser ?? localUserName(),
    );
    running.credentialsFile = file;
    running.localToken = credentials.token;
  }
  return running;
}
