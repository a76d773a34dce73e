import type { EndpointRecord } from '@funcx/protocol';
import type { Actor } from '../audit/entries.js';
import type { EndpointGroupDirectory } from '../endpoint-groups/directory.js';
import type { EventFanout } from '../events/fanout.js';
import type { HubMetrics } from '../metrics.js';
import type { Dispatcher } from '../tasks/dispatcher.js';
import type { TaskRecovery } from '../tasks/task-recovery.js';
import { ENDPOINT_CACHE_MS, type EndpointDirectory } from './directory.js';
import type { EndpointPresence } from './presence.js';

/** What follows when an endpoint's status changes or it is deleted: who hears of it, what happens to its tasks. */
export class EndpointLifecycle {
  constructor(
    private readonly endpoints: EndpointDirectory,
    private readonly endpointGroups: EndpointGroupDirectory,
    private readonly presence: EndpointPresence,
    private readonly recovery: TaskRecovery,
    private readonly dispatcher: Dispatcher,
    private readonly fanout: EventFanout,
    private readonly metrics: HubMetrics,
  ) {}

  /** Sends an endpoint's current view to the clients that can see it. */
  async announce(endpointId: string): Promise<void> {
    const record = await this.endpoints.get(endpointId);
    if (record) this.fanout.endpoint(await this.endpoints.view(record));
    this.metrics.endpointsOnline.set(this.presence.onlineCount());
  }

  /** Deletes an endpoint: fails its unfinished tasks, takes it out of every group, disconnects it and tells clients. */
  async remove(actor: Actor, ref: string): Promise<EndpointRecord> {
    const record = await this.endpoints.delete(actor, ref);
    await Promise.all([this.recovery.failEndpointTasks(record), this.endpointGroups.forgetEndpoint(record.endpoint_id)]);
    // Another hub may queue a task for it from the record it read for submissions just before (ENDPOINT_CACHE_MS).
    setTimeout(() => void this.recovery.failEndpointTasks(record).catch(() => undefined), 2 * ENDPOINT_CACHE_MS).unref();
    this.dispatcher.channelOf(record.endpoint_id)?.close();
    this.fanout.endpointRemoved(record);
    this.metrics.endpointsOnline.set(this.presence.onlineCount());
    return record;
  }
}
