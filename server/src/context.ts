import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { MAX_SUBMISSION_BYTES, type EndpointRecord } from '@funcx/protocol';
import { EndpointDirectory } from './endpoints/directory.js';
import { EndpointPresence } from './endpoints/presence.js';
import { EventFanout } from './events/fanout.js';
import { FunctionRegistry } from './functions/registry.js';
import { HubMetrics } from './metrics.js';
import { DEFAULT_RATE_LIMIT, DEFAULT_REQUEST_RATE_LIMIT, type HubOptions } from './options.js';
import { createRateLimits, type RateLimits } from './rate-limit.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { Dispatcher } from './tasks/dispatcher.js';
import { TaskService } from './tasks/service.js';

/** Every service of one hub, wired together; routes and socket namespaces reach them through this. */
export interface HubContext {
  options: HubOptions;
  bodyLimit: number;
  startedAt: number;
  log: FastifyBaseLogger;
  store: Store;
  metrics: HubMetrics;
  presence: EndpointPresence;
  fanout: EventFanout;
  functions: FunctionRegistry;
  endpoints: EndpointDirectory;
  dispatcher: Dispatcher;
  tasks: TaskService;
  /** Per user, on REST and sockets alike. */
  limits: RateLimits;
  /** Sends an endpoint's current view to the clients that can see it. */
  announceEndpoint(endpointId: string): Promise<void>;
  /** Deletes an endpoint: fails its unfinished tasks, disconnects it and tells clients. */
  removeEndpoint(user: string, ref: string): Promise<EndpointRecord>;
}

export async function createHubContext(options: HubOptions): Promise<HubContext> {
  const log = pino({ level: options.logLevel ?? 'info', base: undefined }, pino.destination(2));
  const store = await openStore({
    store: options.store,
    dataDir: options.dataDir,
    compactAfterBytes: options.compactAfterBytes,
    resultRetentionMs: options.resultRetentionMs,
    onWarning: (message) => log.warn(message),
  });
  const metrics = new HubMetrics();
  const presence = new EndpointPresence();
  const fanout = new EventFanout();
  const functions = new FunctionRegistry(store);
  const endpoints = new EndpointDirectory(store, presence);
  const dispatcher = new Dispatcher(store, functions, (error) => log.error({ err: error }, 'dispatch failed'));
  const tasks = new TaskService(store, functions, endpoints, dispatcher, fanout, metrics);
  const hub: HubContext = {
    options,
    bodyLimit: options.bodyLimit ?? MAX_SUBMISSION_BYTES,
    startedAt: Date.now(),
    log,
    store,
    metrics,
    presence,
    fanout,
    functions,
    endpoints,
    dispatcher,
    tasks,
    limits: createRateLimits(options.rateLimit ?? DEFAULT_RATE_LIMIT, options.requestRateLimit ?? DEFAULT_REQUEST_RATE_LIMIT),
    async announceEndpoint(endpointId) {
      const record = await endpoints.get(endpointId);
      if (record) fanout.endpoint(await endpoints.view(record));
      metrics.endpointsOnline.set(presence.onlineCount());
    },
    async removeEndpoint(user, ref) {
      const record = await endpoints.delete(user, ref);
      await tasks.failEndpointTasks(record);
      dispatcher.socketOf(record.endpoint_id)?.disconnect(true);
      fanout.endpointRemoved(record);
      metrics.endpointsOnline.set(presence.onlineCount());
      return record;
    },
  };
  return hub;
}
