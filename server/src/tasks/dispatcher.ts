import { MAX_HUB_MESSAGE_BYTES, encodeHubMessage, isFinalState, type DispatchedTask, type FunctionCode, type TaskRecord } from '@funcx/protocol';
import type { FunctionRegistry } from '../functions/registry.js';
import type { Store } from '../store/store.js';
import type { EndpointChannel, RemoteEndpoints } from './endpoint-channel.js';
import type { HeldRecords } from './held-records.js';

/** Most tasks in one `tasks:dispatch` message. */
export const DISPATCH_BATCH = 2_000;

/** Reaches endpoints connected to other hubs sharing the store (several hubs on one Redis). */
export interface Relay {
  /** Tells the other hubs that this endpoint's queue has work. */
  work(endpointId: string): void;
  cancel(endpointId: string, taskIds: string[]): void;
  endSessions(endpointId: string, sessions: { owner: string; name: string }[]): void;
}

interface Connection {
  channel: EndpointChannel;
  /** Functions whose code this channel has been sent. */
  sentFunctions: Set<string>;
}

/**
 * Sends queued tasks to connected endpoints: whenever tasks arrive for an online endpoint or an endpoint says
 * hello, its queue is drained on the next tick in batches, each with the code of functions new to that channel.
 */
export class Dispatcher {
  private readonly connections = new Map<string, Connection>();
  private readonly pending = new Set<string>();
  private readonly draining = new Set<string>();
  private scheduled = false;
  relay: Relay | undefined;
  /** With several hubs: endpoints connected to the others, for their data. */
  remote: RemoteEndpoints | undefined;

  constructor(
    private readonly store: Store,
    private readonly records: HeldRecords,
    private readonly functions: FunctionRegistry,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Makes this channel the endpoint's connection; returns the one it replaces, if any. */
  connect(endpointId: string, channel: EndpointChannel): EndpointChannel | undefined {
    const previous = this.connections.get(endpointId);
    this.connections.set(endpointId, { channel, sentFunctions: new Set() });
    this.records.connected(endpointId);
    this.schedule(endpointId);
    return previous && previous.channel !== channel ? previous.channel : undefined;
  }

  /** Forgets the channel if it is the endpoint's connection; true when it was. */
  disconnect(endpointId: string, channel: EndpointChannel): boolean {
    if (this.connections.get(endpointId)?.channel !== channel) return false;
    this.connections.delete(endpointId);
    this.records.disconnected(endpointId);
    return true;
  }

  connectedEndpoints(): string[] {
    return [...this.connections.keys()];
  }

  /**
   * Closes every endpoint connection here, so that each endpoint connects again and says hello; returns how many.
   * For when this hub's subscription to the other hubs was interrupted: tasks handed to it meanwhile were never
   * sent, and news of queued work went unheard. Each hello puts the endpoint's in-flight tasks it does not hold
   * back in its queue, and the queue is drained.
   */
  reconnectAll(): number {
    const channels = [...this.connections.values()].map((connection) => connection.channel);
    for (const channel of channels) channel.close();
    return channels.length;
  }

  channelOf(endpointId: string): EndpointChannel | undefined {
    return this.connections.get(endpointId)?.channel;
  }

  /** `relayed`: the request came from another hub, so it is not passed on again. */
  cancel(endpointId: string, taskIds: string[], relayed = false): void {
    if (taskIds.length === 0) return;
    const connection = this.connections.get(endpointId);
    if (connection) connection.channel.cancel(taskIds);
    else if (!relayed) this.relay?.cancel(endpointId, taskIds);
  }

  endSessions(endpointId: string, sessions: { owner: string; name: string }[], relayed = false): void {
    if (sessions.length === 0) return;
    const connection = this.connections.get(endpointId);
    if (connection) connection.channel.endSessions(sessions);
    else if (!relayed) this.relay?.endSessions(endpointId, sessions);
  }

  /**
   * Tasks were just queued for this endpoint (in this turn of the event loop): an endpoint connected here takes
   * them at once, so that with a shared store the take goes out in the same round trip as their queue entries,
   * and their records, just written, are not read back.
   */
  submitted(endpointId: string, queued: TaskRecord[]): void {
    if (!this.connections.has(endpointId)) {
      this.relay?.work(endpointId);
      return;
    }
    this.records.queued(endpointId, queued);
    this.drain(endpointId).catch(this.onError);
  }

  /**
   * Whether tasks for this endpoint may be sent as they are written (sendAtOnce): the store is a round trip
   * away and can hold them in flight unqueued, the endpoint is connected here, and nothing queued for it waits
   * to be taken (which would then come after them).
   */
  sendsAtOnce(endpointId: string): boolean {
    return this.store.holdInFlight !== undefined && this.connections.has(endpointId) && !this.draining.has(endpointId) && !this.pending.has(endpointId);
  }

  /**
   * Sends tasks whose records are being written (`recordsWritten`) without waiting for the store's answer, and
   * holds them in the endpoint's in-flight set (Store.holdInFlight; the returned write). Reports of them wait for
   * both writes; if either fails, the submission failed, and the endpoint is told to cancel them.
   */
  sendAtOnce(endpointId: string, tasks: TaskRecord[], recordsWritten: Promise<unknown>): Promise<void> {
    if (!this.store.holdInFlight) throw new Error('sendAtOnce needs a store that holds tasks in flight: ask sendsAtOnce first');
    const ids = tasks.map((task) => task.task_id);
    const held = this.store.holdInFlight(endpointId, ids);
    const written = Promise.all([recordsWritten, held]);
    const connection = this.connections.get(endpointId);
    const sent = connection ? this.sendTo(connection, endpointId, tasks, ids, written) : Promise.resolve(false);
    sent.then(async (delivered) => {
      if (delivered) return;
      // The endpoint left meanwhile: its tasks go back to its queue once written, taken when it connects again.
      const wrote = await written.then(() => true, () => false);
      if (!wrote) return;
      await this.store.requeue(endpointId, ids);
      this.schedule(endpointId);
    }).catch(this.onError);
    return held;
  }

  /**
   * Whether tasks for this endpoint may be handed to the hub it is connected to (handOff): the store is shared
   * by several hubs and can, and the endpoint is not connected here.
   */
  handsOff(endpointId: string): boolean {
    return this.store.handOff !== undefined && this.remote !== undefined && !this.connections.has(endpointId);
  }

  /**
   * Offers tasks whose records are being written in this same turn to the hub their endpoint is connected to,
   * in the same script (Store.handOff): that hub sends them on without taking them from the queue. Tasks that
   * went to the queue instead are announced to the other hubs as queued work.
   */
  async handOff(endpointId: string, tasks: TaskRecord[]): Promise<void> {
    const ids = tasks.map((task) => task.task_id);
    const handed = tasks.map((task) => ({ ...task, attempts: task.attempts + 1 }));
    const message = encodeHubMessage({ t: 'tasks', endpoint_id: endpointId, tasks: handed });
    if (!this.store.handOff) throw new Error('handOff needs a store that hands tasks to other hubs: ask handsOff first');
    const outcome = message.byteLength > MAX_HUB_MESSAGE_BYTES
      ? await this.store.enqueue(endpointId, ids).then(() => 'queued' as const)
      : await this.store.handOff(endpointId, message, ids);
    if (outcome === 'queued') this.schedule(endpointId);
  }

  /**
   * Tasks another hub handed to this one for an endpoint connected here, their records written and their ids in
   * its in-flight set: sent on, or back to the front of the queue if the endpoint has left meanwhile.
   */
  handedOver(endpointId: string, tasks: TaskRecord[]): void {
    const connection = this.connections.get(endpointId);
    const ids = tasks.map((task) => task.task_id);
    const sent = connection ? this.sendHandedOver(connection, endpointId, tasks) : Promise.resolve(false);
    sent.then(async (delivered) => {
      if (delivered) return;
      await this.store.requeue(endpointId, ids);
      this.schedule(endpointId);
    }).catch(this.onError);
  }

  private sendHandedOver(connection: Connection, endpointId: string, tasks: TaskRecord[]): Promise<boolean> {
    this.records.sent(tasks);
    return this.deliver(connection, endpointId, tasks);
  }

  private sendTo(connection: Connection, endpointId: string, tasks: TaskRecord[], ids: string[], written: Promise<unknown>): Promise<boolean> {
    this.records.sentUnwritten(tasks, written);
    written.catch(() => this.cancel(endpointId, ids));
    return this.deliver(connection, endpointId, tasks);
  }

  /** Sends tasks with the code of functions new to the channel; false if the endpoint's connection changed meanwhile. */
  private async deliver(connection: Connection, endpointId: string, tasks: TaskRecord[]): Promise<boolean> {
    const functions = await this.newFunctions(connection, tasks);
    if (this.connections.get(endpointId) !== connection) return false;
    connection.channel.dispatch({ tasks: tasks.map(dispatchedTask), functions });
    return true;
  }

  schedule(endpointId: string, relayed = false): void {
    if (!this.connections.has(endpointId)) {
      if (!relayed) this.relay?.work(endpointId);
      return;
    }
    this.pending.add(endpointId);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const endpointIds = [...this.pending];
      this.pending.clear();
      for (const id of endpointIds) this.drain(id).catch(this.onError);
    });
  }

  private async drain(endpointId: string): Promise<void> {
    if (this.draining.has(endpointId)) {
      this.pending.add(endpointId);
      return;
    }
    this.draining.add(endpointId);
    try {
      for (;;) {
        const connection = this.connections.get(endpointId);
        if (!connection) return;
        const ids = await this.store.take(endpointId, DISPATCH_BATCH, this.records.queuedIds(endpointId, DISPATCH_BATCH));
        if (ids.length === 0) return;
        const records = await this.records.read(endpointId, ids);
        const finished: string[] = [];
        const live: TaskRecord[] = [];
        for (let i = 0; i < ids.length; i++) {
          const task = records[i];
          if (!task || isFinalState(task.state)) finished.push(ids[i]);
          else live.push(task);
        }
        if (finished.length > 0) await this.store.release(endpointId, finished);
        if (live.length === 0) continue;
        this.records.sent(live);
        if (!(await this.deliver(connection, endpointId, live))) {
          await this.store.requeue(endpointId, live.map((task) => task.task_id));
          continue;
        }
        // A queue the take did not empty is taken again; one that it did is drained again when tasks come.
        if (ids.length < DISPATCH_BATCH) return;
      }
    } finally {
      this.draining.delete(endpointId);
      if (this.pending.has(endpointId)) this.schedule(endpointId);
    }
  }

  private async newFunctions(connection: Connection, tasks: TaskRecord[]): Promise<FunctionCode[]> {
    const needed = new Set<string>();
    for (const task of tasks) if (!connection.sentFunctions.has(task.function_id)) needed.add(task.function_id);
    const codes: FunctionCode[] = [];
    for (const functionId of needed) {
      const fn = await this.functions.lookup(functionId);
      if (!fn) continue;
      const code: FunctionCode = { function_id: fn.function_id, source: fn.source };
      if (fn.entrypoint !== undefined) code.entrypoint = fn.entrypoint;
      if (fn.language !== 'python') code.language = fn.language;
      if (fn.isolation !== undefined) code.isolation = fn.isolation;
      codes.push(code);
      connection.sentFunctions.add(functionId);
    }
    return codes;
  }
}

function dispatchedTask(task: TaskRecord): DispatchedTask {
  const dispatched: DispatchedTask = { task_id: task.task_id, function_id: task.function_id, owner: task.owner, args: task.args, kwargs: task.kwargs };
  if (task.timeout_s !== undefined) dispatched.timeout_s = task.timeout_s;
  if (task.return_pickle) dispatched.return_pickle = true;
  if (task.container_image !== undefined) dispatched.container_image = task.container_image;
  if (task.resource_specification !== undefined) dispatched.resource_specification = task.resource_specification;
  if (task.session !== undefined) dispatched.session = task.session;
  return dispatched;
}
