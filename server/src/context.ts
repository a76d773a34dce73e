import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { MAX_SUBMISSION_BYTES } from '@funcx/protocol';
import { Access } from './auth/access.js';
import { SessionService } from './sessions/service.js';
import { SessionGuard } from './auth/session-guard.js';
import { EndpointGroupDirectory } from './endpoint-groups/directory.js';
import { EndpointDirectory } from './endpoints/directory.js';
import { EndpointLifecycle } from './endpoints/lifecycle.js';
import { EndpointPresence } from './endpoints/presence.js';
import { EventStreams } from './events/event-streams.js';
import { LocalInterest } from './events/local-interest.js';
import { EndingTasks } from './tasks/ending-tasks.js';
import { HotRecords, StoreRecords } from './tasks/held-records.js';
import { EventFanout } from './events/fanout.js';
import { createFlows, type Flows } from './flows/index.js';
import { FunctionRegistry } from './functions/registry.js';
import { GroupMembership } from './groups/membership.js';
import { HubMetrics } from './metrics.js';
import { Memo } from './memo/memo.js';
import { DEFAULT_MEMO_TTL_MS, DEFAULT_MEMO_USER_BYTES } from './memo/memo-store.js';
import { MemoryMemoStore } from './memo/memory-memo-store.js';
import { RedisMemoStore } from './memo/redis-memo-store.js';
import { RedisStore } from './store/redis.js';
import { DEFAULT_RATE_LIMIT, DEFAULT_REQUEST_RATE_LIMIT, type HubOptions } from './options.js';
import { createRateLimits, type RateLimits } from './rate-limit.js';
import { Router } from './routing/router.js';
import { forgetGroups } from './sharing/forget-groups.js';
import { applyMembershipChange } from './sharing/membership-effects.js';
import { SharingService } from './sharing/service.js';
import { isRedisSpec, openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { Dispatcher } from './tasks/dispatcher.js';
import { EndpointReports } from './tasks/endpoint-reports.js';
import { TaskService } from './tasks/service.js';
import { TaskEvents } from './tasks/task-events.js';
import { TaskRecovery } from './tasks/task-recovery.js';

/** Every service of one hub, wired together; routes and socket namespaces reach them through this. */
export interface HubContext {
  options: HubOptions;
  /** This hub process among the hubs sharing a store. */
  instanceId: string;
  bodyLimit: number;
  startedAt: number;
  log: FastifyBaseLogger;
  store: Store;
  /** Who is in which group (a snapshot reloaded every few seconds). */
  groups: GroupMembership;
  access: Access;
  sharing: SharingService;
  /** Closes client sockets whose token was revoked. */
  sessions: SessionGuard;
  metrics: HubMetrics;
  presence: EndpointPresence;
  fanout: EventFanout;
  /** The Server-Sent Event streams of GET /v1/events. */
  eventStreams: EventStreams;
  /** The users with clients here, whose task events from other hubs this hub hears. */
  interest: LocalInterest;
  functions: FunctionRegistry;
  endpoints: EndpointDirectory;
  endpointGroups: EndpointGroupDirectory;
  /** Routes tasks submitted to several endpoints or a group. */
  router: Router;
  dispatcher: Dispatcher;
  tasks: TaskService;
  /** Memoized results of pure functions (and of tasks submitted with cache: true). */
  memo: Memo;
  /** What endpoints report of their tasks. */
  reports: EndpointReports;
  /** Tasks endpoints lost. */
  recovery: TaskRecovery;
  /** Per user, on REST and sockets alike. */
  limits: RateLimits;
  /** Announcing status changes and deleting endpoints. */
  endpointLifecycle: EndpointLifecycle;
  /** Sessions of users on endpoints: where each lives, routing to it, ending one. */
  endpointSessions: SessionService;
  /** Flows: definitions, the runs this hub drives (while it holds their leases) and triggers. */
  flows: Flows;
  /** Runs `work` when the hub closes, before its store closes (last added, first run). */
  onClose(work: () => Promise<void> | void): void;
  /** Stops the hub's timers, runs what was registered with onClose, then closes the store. */
  close(): Promise<void>;
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
  if (store instanceof RedisStore) metrics.countStoreCalls(store.roundTrips.counts);
  const presence = new EndpointPresence();
  const groups = new GroupMembership(store, (error) => log.warn({ err: error }, 'could not reload groups'));
  await groups.refresh();
  if (!isRedisSpec(options.store)) {
    // Groups deleted with the CLI while this hub was stopped leave the sharing lists now.
    await forgetGroups(store, (group) => !groups.exists(group));
  }
  const access = new Access(groups);
  const fanout = new EventFanout(groups);
  const interest = new LocalInterest(options.interestLingerMs);
  const eventStreams = new EventStreams(interest);
  fanout.attach(eventStreams);
  const functions = new FunctionRegistry(store, access);
  const endpoints = new EndpointDirectory(store, presence, access);
  const records = store instanceof RedisStore ? new HotRecords(store) : new StoreRecords(store);
  const dispatcher = new Dispatcher(store, records, functions, (error) => log.error({ err: error }, 'dispatch failed'));
  const endpointGroups = new EndpointGroupDirectory(store, endpoints, access);
  const router = new Router();
  const taskEvents = new TaskEvents(fanout, metrics);
  const memo = new Memo(
    store instanceof RedisStore ? new RedisMemoStore(store.client, store.keys.prefix) : new MemoryMemoStore(),
    metrics,
    { ttlMs: options.memoTtlMs ?? DEFAULT_MEMO_TTL_MS, userBytes: options.memoUserBytes ?? DEFAULT_MEMO_USER_BYTES },
    (error) => log.warn({ err: error }, 'memoized results: the store failed (tasks run instead)'),
  );
  const endpointSessions = new SessionService(store, endpoints, dispatcher);
  const ending = new EndingTasks();
  const tasks = new TaskService(store, functions, { store, endpoints, endpointGroups, access, router }, dispatcher, fanout, metrics, taskEvents, ending, memo, endpointSessions);
  const reports = new EndpointReports(store, records, taskEvents, ending, memo, (taskIds) =>
    log.warn({ task_ids: taskIds }, "results this hub's clients were told were refused by the store: another hub ended these tasks first"),
  );
  const recovery = new TaskRecovery(store, taskEvents, metrics, ending);
  const endpointLifecycle = new EndpointLifecycle(endpoints, endpointGroups, presence, recovery, dispatcher, fanout, metrics);
  const sharing = new SharingService(store, functions, endpoints, endpointGroups, access, groups, fanout, (endpointId) => endpointLifecycle.announce(endpointId));
  const sessions = new SessionGuard(store, (error) => log.warn({ err: error }, 'could not check the tokens of open sockets'));
  groups.onChange((change) => {
    applyMembershipChange(change, store, sharing, access, fanout).catch((error: unknown) => log.warn({ err: error }, 'could not apply a group change'));
  });
  groups.start(options.groupRefreshMs);
  const flows = createFlows({ store, tasks, fanout, interest, access, sharing, dispatcher, endpoints, log, options });
  const closers: (() => Promise<void> | void)[] = [];
  const hub: HubContext = {
    options,
    instanceId: randomUUID(),
    bodyLimit: options.bodyLimit ?? MAX_SUBMISSION_BYTES,
    startedAt: Date.now(),
    log,
    store,
    groups,
    access,
    sharing,
    sessions,
    endpointSessions,
    metrics,
    presence,
    fanout,
    eventStreams,
    interest,
    functions,
    endpoints,
    endpointGroups,
    router,
    dispatcher,
    tasks,
    memo,
    reports,
    recovery,
    limits: createRateLimits(options.rateLimit ?? DEFAULT_RATE_LIMIT, options.requestRateLimit ?? DEFAULT_REQUEST_RATE_LIMIT),
    endpointLifecycle,
    flows,
    onClose(work) {
      closers.push(work);
    },
    async close() {
      groups.stop();
      sessions.stop();
      interest.close();
      for (const work of closers.splice(0).reverse()) await work();
      await store.close();
    },
  };
  hub.onClose(() => flows.close());
  return hub;
}
