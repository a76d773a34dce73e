import type { Server } from 'socket.io';
import {
  ENDPOINT_NAMESPACE,
  HEARTBEAT_INTERVAL_MS,
  MISSED_HEARTBEATS_OFFLINE,
  TASK_LEASE_MS,
  FuncxError,
  type EndpointLoad,
  type TaskCompletion,
  type TaskOutputUpdate,
  type TaskStateUpdate,
} from '@funcx/protocol';
import { authenticate } from '../auth/tokens.js';
import type { HubContext } from '../context.js';
import { asLoad, checkReports, reportedTaskIds, type RejectedReport } from './endpoint-messages.js';
import { helloProblem, reportValidators } from './endpoint-schemas.js';
import { hubError } from '../tasks/records.js';
import { OrderedReports } from '../cluster/ordered-reports.js';
import { isRedisSpec } from '../store/open-store.js';
import { endpointChannel } from './channels.js';
import { answer, connectError, settle } from './errors.js';
import { DoneReceipts } from './done-receipts.js';
import type { EndpointNamespace, EndpointSocket } from './types.js';

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
    const receipts = new DoneReceipts((receipt) => socket.emit('tasks:receipt', receipt), hub.options.receiptDelayMs);
    const channel = endpointChannel(socket, receipts);
    const seen = () => hub.presence.seen(endpointId);
    // Every hub sees the endpoint while its heartbeats come; its in-flight tasks stay its own for leaseMs more.
    const keepAlive = (load: EndpointLoad) =>
      hub.store.keepAlive(endpointId, { load, last_heartbeat: Date.now(), hub: hub.instanceId }, silenceMs, leaseMs);
    // A shared store hands out copies, so reports that change the same task (an output, then the result) are
    // applied one after another, in the order the endpoint sent them.
    const ordered = sharedStore
      ? new OrderedReports(
          {
            states: (updates) => hub.reports.onStates(endpointId, updates),
            outputs: (updates) => hub.reports.onOutputs(endpointId, updates),
            done: (completions) => hub.reports.onDone(endpointId, completions),
          },
          internal,
        )
      : undefined;

    socket.on('hello', (hello, ack) => {
      answer(ack, async () => {
        const problem = helloProblem(hello);
        if (problem) throw new FuncxError('FUNCX_BAD_REQUEST', problem);
        const previous = hub.dispatcher.channelOf(endpointId);
        if (previous && previous !== channel) {
          hub.dispatcher.disconnect(endpointId, previous);
          previous.close();
        }
        const held = hello.held_task_ids;
        const load = asLoad(hello.load);
        // With several hubs, the hub it was connected to lets go first: one hub at a time ends its tasks.
        await hub.dispatcher.remote?.release(endpointId);
        await keepAlive(load);
        const drop = await hub.recovery.reconcile(endpointId, held, hello.uncharged_task_ids ?? []);
        if (!socket.connected) throw new FuncxError('FUNCX_BAD_REQUEST', 'disconnected during hello');
        const record = hello.allowed_functions
          ? await hub.endpoints.setAllowedFunctions(endpointId, hello.allowed_functions)
          : await hub.endpoints.get(endpointId);
        if (record && hello.capabilities) await hub.endpoints.setCapabilities(record, hello.capabilities);
        if (!record) throw new FuncxError('FUNCX_ENDPOINT_NOT_FOUND', 'This endpoint was deleted');
        hub.presence.online(endpointId, load);
        hub.dispatcher.connect(endpointId, channel);
        hub.dispatcher.cancel(endpointId, drop);
        await hub.endpointLifecycle.announce(endpointId);
        hub.log.info({ endpoint: record.name, held: held.length }, 'endpoint online');
        return { endpoint_id: endpointId, name: record.name, receipts: true };
      }, internal);
    });

    socket.on('heartbeat', (raw) => {
      const load = asLoad(raw);
      if (hub.dispatcher.channelOf(endpointId) === channel) keepAlive(load).catch(internal);
      if (hub.presence.heartbeat(endpointId, load)) hub.endpointLifecycle.announce(endpointId).catch(internal);
    });

    const logRejected = (rejected: RejectedReport[], event: string) => {
      if (rejected.length > 0) {
        hub.log.warn({ endpoint_id: endpointId, rejected: rejected.length, first: rejected[0].reason }, `refused malformed items of ${event}`);
      }
    };

    socket.on('tasks:state', (updates) => {
      seen();
      const { items, rejected } = checkReports<TaskStateUpdate>(updates, reportValidators.state, 'tasks:state');
      logRejected(rejected, 'tasks:state');
      if (items.length === 0) return;
      if (ordered) ordered.states(items);
      else hub.reports.onStates(endpointId, items).catch(internal);
    });

    socket.on('tasks:output', (updates) => {
      seen();
      const { items, rejected } = checkReports<TaskOutputUpdate>(updates, reportValidators.output, 'tasks:output');
      logRejected(rejected, 'tasks:output');
      if (items.length === 0) return;
      if (ordered) ordered.outputs(items);
      else hub.reports.onOutputs(endpointId, items).catch(internal);
    });

    const recordDone = async (completions: unknown): Promise<string[]> => {
      if (!Array.isArray(completions)) throw new FuncxError('FUNCX_BAD_REQUEST', 'tasks:done takes an array of completions');
      const { items, rejected } = checkReports<TaskCompletion>(completions, reportValidators.completion, 'tasks:done');
      logRejected(rejected, 'tasks:done');
      // A task whose end was reported in a form the hub cannot keep fails with the reason: never left waiting.
      for (const { taskId, reason } of rejected) {
        if (taskId === undefined) continue;
        items.push({
          task_id: taskId,
          state: 'failed',
          timestamps: {},
          error: hubError('InvalidReport', `The endpoint reported the end of this task in a form the hub cannot accept (${reason}); its worker or daemon misbehaved`),
        });
      }
      if (items.length === 0) return [];
      return ordered ? ordered.done(items) : hub.reports.onDone(endpointId, items);
    };

    socket.on('tasks:done', (completions, ack) => {
      seen();
      if (typeof ack === 'function') {
        answer(ack, async () => ({ recorded: await recordDone(completions) }), internal);
        return;
      }
      settle(
        () => recordDone(completions),
        (recorded) => receipts.add(recorded),
        (error) => receipts.refuse(reportedTaskIds(completions), error),
        internal,
      );
    });

    socket.on('disconnect', (reason) => {
      receipts.stop();
      if (!hub.dispatcher.disconnect(endpointId, channel)) return;
      hub.store.endPresence(endpointId).catch(internal);
      if (hub.presence.offline(endpointId)) {
        hub.log.info({ endpoint_id: endpointId, reason }, 'endpoint offline');
        hub.endpointLifecycle.announce(endpointId).catch(internal);
      }
    });
  });

  const liveness = setInterval(() => {
    for (const endpointId of hub.presence.silentSince(Date.now() - silenceMs)) {
      const channel = hub.dispatcher.channelOf(endpointId);
      hub.log.warn({ endpoint_id: endpointId }, `no heartbeat for ${silenceMs} ms: endpoint offline`);
      if (channel) channel.close();
      else if (hub.presence.offline(endpointId)) hub.endpointLifecycle.announce(endpointId).catch(internal);
    }
  }, intervalMs);
  liveness.unref();
  return () => clearInterval(liveness);
}
