import type { FastifyBaseLogger } from 'fastify';
import type { Access } from '../auth/access.js';
import { DataRelay } from '../data/data-relay.js';
import type { EndpointDirectory } from '../endpoints/directory.js';
import type { EventFanout } from '../events/fanout.js';
import type { LocalInterest } from '../events/local-interest.js';
import type { HubOptions } from '../options.js';
import type { SharingService } from '../sharing/service.js';
import type { Store } from '../store/store.js';
import type { Dispatcher } from '../tasks/dispatcher.js';
import type { TaskService } from '../tasks/service.js';
import { DataAction } from './actions/data-action.js';
import { FuncxAction } from './actions/funcx-action.js';
import { ActionProviders } from './actions/providers.js';
import { systemClock } from './engine/clock.js';
import { FlowEngine } from './engine/engine.js';
import { FlowService } from './flow-service.js';
import { TriggerService } from './triggers.js';

/** First and longest wait between two polls of an action (the funcX action is woken by its task's final event). */
export const ACTION_POLL_MIN_MS = 250;
export const ACTION_POLL_MAX_MS = 10_000;

/** Flows in the hub: the service behind the routes, the engine that drives runs, the triggers. */
export interface Flows {
  service: FlowService;
  engine: FlowEngine;
  triggers: TriggerService;
  close(): Promise<void>;
}

export interface FlowDeps {
  store: Store;
  tasks: TaskService;
  fanout: EventFanout;
  interest: LocalInterest;
  access: Access;
  sharing: SharingService;
  /** For the data action: the endpoints' data stores, and endpoint names as the run's owner may use them. */
  dispatcher: Dispatcher;
  endpoints: EndpointDirectory;
  log: FastifyBaseLogger;
  options: HubOptions;
}

export function createFlows({ store, tasks, fanout, interest, access, sharing, dispatcher, endpoints, log, options }: FlowDeps): Flows {
  const clock = options.flowClock ?? systemClock;
  const onError = (error: unknown, what: string) => log.warn({ err: error }, `flows: ${what} failed`);
  const providers = new ActionProviders(new FuncxAction(store, tasks, fanout, interest), new DataAction(new DataRelay(dispatcher), endpoints));
  const engine = new FlowEngine({
    store: store.flows,
    providers,
    clock,
    leaseMs: options.flowLeaseMs,
    settings: {
      pollMinMs: options.actionPollMinMs ?? ACTION_POLL_MIN_MS,
      pollMaxMs: options.actionPollMaxMs ?? ACTION_POLL_MAX_MS,
      publicUrl: options.publicUrl,
    },
    onError,
  });
  const prefixes = options.actionUrlPrefixes;
  const allowActionUrl = prefixes && prefixes.length > 0 ? (url: string) => prefixes.some((prefix) => url.startsWith(prefix)) : undefined;
  const service = new FlowService(store, access, sharing, engine, { allowActionUrl });
  const triggers = new TriggerService(store, service, clock, onError);
  engine.start();
  triggers.start();
  return {
    service,
    engine,
    triggers,
    async close() {
      triggers.close();
      await engine.close();
    },
  };
}
