import type { Server } from 'socket.io';
import { ENDPOINT_NAMESPACE, HEARTBEAT_INTERVAL_MS, MISSED_HEARTBEATS_OFFLINE, TASK_LEASE_MS, FuncxError, type EndpointLoad } from '@funcx/protocol';
import { authenticate } from '../auth/tokens.js';
import type { HubContext } from '../context.js';
import { isCompletion, isOutputUpdate, isStateUpdate, validItems } from './endpoint-messages.js';
import { OrderedReports } from '../cluster/ordered-reports.js';
import { isRedisSpec } from '../store/open-store.js';
import { answer, connectError } from './errors.js';
import type { EndpointNamespace, EndpointSocket } from './types.js';

function asLoad(value: unknown): EndpointLoad {
  const load = (value ?? {}) as Partial<EndpointLoad>;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : 0);
  return {
    workers_total: count(load.workers_total),
    workers_busy: count(load.workers_busy),
    queued: count(load.queued),
    running: count(load.running),
    warm_images: Array.isArray(load.warm_images) ? load.warm_images.filter((image) => typeof image === 'string') : [],
  };
}

/**
 * `/endpoint`: daemons connect with their endpoint token, say hello (the tasks they still hold), heartbeat,
 * and report task states, outputs and final results in batches. Returns a function that stops the liveness check.
 */
export function registerEndpointNamespace(io: Server, hub: HubContext): () => void {
  const namespace = io.of(ENDPOINT_NAMESPACE) as EndpointNamespace;
  const internal = (error: unknown) => hub.log.error({ err: error }, 'endpoint message failed');

  namespace.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(hub.store, typeof token === 'string' ? token : undefined, 'endpoint')
      .then(async (endpointId) => {
        if (!(await hub.endpoints.get(endpointId))) throw new FuncxError('FUNCX_ENDPOINT_NOT_FOUND', 'This endpoint was deleted');
        socket.data.endpointId = endpointId;
        next();
      })
      .catch((error: unknown) => next(connectError(error)));
  });

  const intervalMs = hub.options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS;
  const silenceMs = intervalMs * MISSED_HEARTBEATS_OFFLINE;
  const leaseMs = hub.options.leaseMs ?? TASK_LEASE_MS;
  const sharedStore = isRedisSpec(hub.options.store);

  namespace.on('connection', (socket: EndpointSocket) => {
    const endpointId = socket.data.endpointId;
    const seen = () => hub.presence.seen(endpointId);
    // Every hub sees the endpoint while its heartbeats come; its in-flight tasks stay its own for leaseMs more.
    const keepAlive = (load: EndpointLoad) =>
      hub.store.keepAlive(endpointId, { load, last_heartbeat: Date.now() }, silenceMs, leaseMs);
    // A shared store hands out copies, so reports that change the same task (an output, then the result) are
    // applied one after another, in the order the endpoint sent them.
    const ordered = sharedStore
      ? new OrderedReports(
          {
            states: (updates) => hub.tasks.onStates(endpointId, updates),
            outputs: (updates) => hub.tasks.onOutputs(endpointId, updates),
            done: (completions) => hub.tasks.onDone(endpointId, completions),
          },
          internal,
        )
      : undefined;

    socket.on('hello', (hello, ack) => {
      answer(ack, async () => {
        const previous = hub.dispatcher.socketOf(endpointId);
        if (previous && previous !== socket) {
          hub.dispatcher.disconnect(endpointId, previous);
          previous.disconnect(true);
        }
        const held = Array.isArray(hello?.held_task_ids) ? hello.held_task_ids.filter((id) => typeof id === 'string') : [];
        await keepAlive(asLoad(hello?.load));
        const drop = await hub.tasks.reconcile(endpointId, held);
        if (!socket.connected) throw new FuncxError('FUNCX_BAD_REQUEST', 'disconnected during hello');
        const record = await hub.endpoints.get(endpointId);
        if (!record) throw new FuncxError('FUNCX_ENDPOINT_NOT_FOUND', 'This endpoint was deleted');
        hub.presence.online(endpointId, asLoad(hello?.load));
        hub.dispatcher.connect(endpointId, socket);
        hub.dispatcher.cancel(endpointId, drop);
        await hub.announceEndpoint(endpointId);
        hub.log.info({ endpoint: record.name, held: held.length }, 'endpoint online');
        return { endpoint_id: endpointId, name: record.name };
      }, internal);
    });

    socket.on('heartbeat', (load) => {
      if (hub.dispatcher.socketOf(endpointId) === socket) keepAlive(asLoad(load)).catch(internal);
      if (hub.presence.heartbeat(endpointId, asLoad(load))) hub.announceEndpoint(endpointId).catch(internal);
    });

    const valid = <T>(batch: unknown, isValid: (item: unknown) => item is T, event: string): T[] => {
      const { items, dropped } = validItems(batch, isValid);
      if (dropped > 0) hub.log.warn({ endpoint_id: endpointId, dropped }, `ignored malformed items of ${event}`);
      return items;
    };

    socket.on('tasks:state', (updates) => {
      seen();
      const items = valid(updates, isStateUpdate, 'tasks:state');
      if (items.length === 0) return;
      if (ordered) ordered.states(items);
      else hub.tasks.onStates(endpointId, items).catch(internal);
    });

    socket.on('tasks:output', (updates) => {
      seen();
      const items = valid(updates, isOutputUpdate, 'tasks:output');
      if (items.length === 0) return;
      if (ordered) ordered.outputs(items);
      else hub.tasks.onOutputs(endpointId, items).catch(internal);
    });

    socket.on('tasks:done', (completions, ack) => {
      seen();
      answer(ack, async () => {
        if (!Array.isArray(completions)) throw new FuncxError('FUNCX_BAD_REQUEST', 'tasks:done takes an array of completions');
        const items = valid(completions, isCompletion, 'tasks:done');
        if (items.length === 0) return { recorded: [] };
        return { recorded: await (ordered ? ordered.done(items) : hub.tasks.onDone(endpointId, items)) };
      }, internal);
    });

    socket.on('disconnect', (reason) => {
      if (!hub.dispatcher.disconnect(endpointId, socket)) return;
      hub.store.endPresence(endpointId).catch(internal);
      if (hub.presence.offline(endpointId)) {
        hub.log.info({ endpoint_id: endpointId, reason }, 'endpoint offline');
        hub.announceEndpoint(endpointId).catch(internal);
      }
    });
  });

  const liveness = setInterval(() => {
    for (const endpointId of hub.presence.silentSince(Date.now() - silenceMs)) {
      const socket = hub.dispatcher.socketOf(endpointId);
      hub.log.warn({ endpoint_id: endpointId }, `no heartbeat for ${silenceMs} ms: endpoint offline`);
      if (socket) socket.disconnect(true);
      else if (hub.presence.offline(endpointId)) hub.announceEndpoint(endpointId).catch(internal);
    }
  }, intervalMs);
  liveness.unref();
  return () => clearInterval(liveness);
}
