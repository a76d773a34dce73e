import type { EndpointRecord, EndpointView, TaskEvent } from '@funcx/protocol';
import type { GroupMembership } from '../groups/membership.js';
import { bothChannels, type ClientChannel } from './client-channel.js';

/**
 * Sends task events and endpoint status to client sockets, batched: everything that happens in one tick goes
 * out as one `task:events` message per user and one `endpoint:status` message per audience.
 */
export class EventFanout {
  /** This hub's clients. */
  private local: ClientChannel | undefined;
  /** The clients of other hubs on the same store. */
  private peers: ClientChannel | undefined;
  /** Both: where events go. */
  private channel: ClientChannel | undefined;
  private taskEvents = new Map<string, TaskEvent[]>();
  private endpointViews = new Map<string, EndpointView>();
  private removed: EndpointRecord[] = [];
  private scheduled = false;
  private sentWaiters: (() => void)[] = [];

  constructor(private readonly groups: GroupMembership) {}

  /** Adds a channel to this hub's clients events go out on (the Socket.IO namespace, the event streams). */
  attach(channel: ClientChannel): void {
    this.local = this.local ? bothChannels(this.local, channel) : channel;
    this.channel = this.peers ? bothChannels(this.local, this.peers) : this.local;
  }

  /**
   * Events also go to the clients of other hubs, through `peers`. Returns the channel on which what other hubs
   * send is delivered to this hub's clients.
   */
  reachPeers(peers: ClientChannel): ClientChannel {
    this.peers = peers;
    this.channel = this.local ? bothChannels(this.local, peers) : peers;
    return {
      toAll: (event, ...args) => this.local?.toAll(event, ...args),
      toUsers: (users, event, ...args) => this.local?.toUsers(users, event, ...args),
      toAllBut: (users, event, ...args) => this.local?.toAllBut(users, event, ...args),
    };
  }

  /**
   * Ends the connections of this hub's clients, so that each connects again and reads what it follows anew (events
   * from other hubs were lost); how many.
   */
  reconnectClients(): number {
    return this.local?.reconnectAll?.() ?? 0;
  }

  /** A task event for its owner's clients, on every hub sharing the store. */
  task(owner: string, event: TaskEvent): void {
    if (!this.channel) return;
    let events = this.taskEvents.get(owner);
    if (!events) this.taskEvents.set(owner, (events = []));
    events.push(event);
    this.schedule();
  }

  endpoint(view: EndpointView): void {
    if (!this.channel) return;
    this.endpointViews.set(view.endpoint_id, view);
    this.schedule();
  }

  endpointRemoved(record: EndpointRecord): void {
    if (!this.channel) return;
    this.removed.push(record);
    this.schedule();
  }

  /**
   * After an endpoint's sharing changed: clients who could see it and now cannot are told it is gone for them
   * (those who still can, or now can, get its status from the announcement that follows).
   */
  endpointAccessChanged(before: EndpointRecord, after: EndpointRecord): void {
    const channel = this.channel;
    if (!channel || after.public) return;
    const keeps = this.audience(after);
    const ids = [before.endpoint_id];
    if (before.public) {
      channel.toAllBut(keeps, 'endpoint:removed', ids);
      return;
    }
    const kept = new Set(keeps);
    const lost = this.audience(before).filter((user) => !kept.has(user));
    if (lost.length > 0) channel.toUsers(lost, 'endpoint:removed', ids);
  }

  /** Tells a user's clients that these endpoints are no longer theirs to see (they left a group). */
  endpointsHidden(user: string, endpointIds: string[]): void {
    if (this.channel && endpointIds.length > 0) this.channel.toUsers([user], 'endpoint:removed', endpointIds);
  }

  /**
   * Resolves once everything queued so far has been handed to the sockets. Acknowledgements wait for it, so the
   * message that moves a task on (a dispatch, a final event) is written before the one that only confirms.
   */
  sent(): Promise<void> {
    if (!this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.sentWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    try {
      this.emitQueued();
    } finally {
      const waiters = this.sentWaiters;
      this.sentWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private emitQueued(): void {
    const channel = this.channel;
    if (!channel) return;
    const taskEvents = this.taskEvents;
    this.taskEvents = new Map();
    for (const [owner, events] of taskEvents) channel.toUsers([owner], 'task:events', events);

    if (this.endpointViews.size > 0) {
      const byAudience = this.groupByAudience([...this.endpointViews.values()]);
      this.endpointViews.clear();
      if (byAudience.everyone.length > 0) channel.toAll('endpoint:status', byAudience.everyone);
      for (const { users, records } of byAudience.audiences.values()) channel.toUsers(users, 'endpoint:status', records);
    }
    if (this.removed.length > 0) {
      const byAudience = this.groupByAudience(this.removed);
      this.removed = [];
      const ids = (records: EndpointRecord[]) => records.map((record) => record.endpoint_id);
      if (byAudience.everyone.length > 0) channel.toAll('endpoint:removed', ids(byAudience.everyone));
      for (const { users, records } of byAudience.audiences.values()) channel.toUsers(users, 'endpoint:removed', ids(records));
    }
  }

  /**
   * Everyone who may see a private endpoint: its owner, its admins, the users it is shared with and the members
   * of the groups it is shared with (as this hub knows them now).
   */
  private audience(record: EndpointRecord): string[] {
    const users = new Set<string>([record.owner]);
    for (const admin of record.admins ?? []) users.add(admin);
    for (const user of record.shared_with?.users ?? []) users.add(user);
    for (const group of record.shared_with?.groups ?? []) for (const member of this.groups.membersOf(group)) users.add(member);
    return [...users];
  }

  /** Public endpoints go to every client; private ones to their audience, one message per audience. */
  private groupByAudience<T extends EndpointRecord>(records: T[]): { everyone: T[]; audiences: Map<string, { users: string[]; records: T[] }> } {
    const everyone: T[] = [];
    const audiences = new Map<string, { users: string[]; records: T[] }>();
    for (const record of records) {
      if (record.public) {
        everyone.push(record);
        continue;
      }
      const users = this.audience(record).sort();
      const key = users.join('\n');
      let audience = audiences.get(key);
      if (!audience) audiences.set(key, (audience = { users, records: [] }));
      audience.records.push(record);
    }
    return { everyone, audiences };
  }
}
