import type { EndpointRecord, EndpointView, TaskEvent } from '@funcx/protocol';
import type { GroupMembership } from '../groups/membership.js';
import type { ClientNamespace } from '../sockets/types.js';

export function userRoom(user: string): string {
  return `user:${user}`;
}

/**
 * Sends task events and endpoint status to client sockets, batched: everything that happens in one tick goes
 * out as one `task:events` message per user room and one `endpoint:status` message per audience.
 */
export class EventFanout {
  private namespace: ClientNamespace | undefined;
  private taskEvents = new Map<string, TaskEvent[]>();
  private endpointViews = new Map<string, EndpointView>();
  private removed: EndpointRecord[] = [];
  private scheduled = false;
  private sentWaiters: (() => void)[] = [];

  constructor(private readonly groups: GroupMembership) {}

  attach(namespace: ClientNamespace): void {
    this.namespace = namespace;
  }

  task(owner: string, event: TaskEvent): void {
    if (!this.namespace) return;
    let events = this.taskEvents.get(owner);
    if (!events) this.taskEvents.set(owner, (events = []));
    events.push(event);
    this.schedule();
  }

  endpoint(view: EndpointView): void {
    if (!this.namespace) return;
    this.endpointViews.set(view.endpoint_id, view);
    this.schedule();
  }

  endpointRemoved(record: EndpointRecord): void {
    if (!this.namespace) return;
    this.removed.push(record);
    this.schedule();
  }

  /**
   * After an endpoint's sharing changed: clients who could see it and now cannot are told it is gone for them
   * (those who still can, or now can, get its status from the announcement that follows).
   */
  endpointAccessChanged(before: EndpointRecord, after: EndpointRecord): void {
    const namespace = this.namespace;
    if (!namespace || after.public) return;
    const keeps = this.audience(after);
    const ids = [before.endpoint_id];
    if (before.public) {
      namespace.except(keeps).emit('endpoint:removed', ids);
      return;
    }
    const kept = new Set(keeps);
    const lost = this.audience(before).filter((room) => !kept.has(room));
    if (lost.length > 0) namespace.to(lost).emit('endpoint:removed', ids);
  }

  /** Tells a user's clients that these endpoints are no longer theirs to see (they left a group). */
  endpointsHidden(user: string, endpointIds: string[]): void {
    if (this.namespace && endpointIds.length > 0) this.namespace.to(userRoom(user)).emit('endpoint:removed', endpointIds);
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
    const namespace = this.namespace;
    if (!namespace) return;
    const taskEvents = this.taskEvents;
    this.taskEvents = new Map();
    for (const [owner, events] of taskEvents) namespace.to(userRoom(owner)).emit('task:events', events);

    if (this.endpointViews.size > 0) {
      const byAudience = this.groupByAudience([...this.endpointViews.values()]);
      this.endpointViews.clear();
      if (byAudience.everyone.length > 0) namespace.emit('endpoint:status', byAudience.everyone);
      for (const { rooms, records } of byAudience.rooms.values()) namespace.to(rooms).emit('endpoint:status', records);
    }
    if (this.removed.length > 0) {
      const byAudience = this.groupByAudience(this.removed);
      this.removed = [];
      const ids = (records: EndpointRecord[]) => records.map((record) => record.endpoint_id);
      if (byAudience.everyone.length > 0) namespace.emit('endpoint:removed', ids(byAudience.everyone));
      for (const { rooms, records } of byAudience.rooms.values()) namespace.to(rooms).emit('endpoint:removed', ids(records));
    }
  }

  /**
   * The user rooms of everyone who may see a private endpoint: its owner, its admins, the users it is shared
   * with and the members of the groups it is shared with (as this hub knows them now).
   */
  private audience(record: EndpointRecord): string[] {
    const users = new Set<string>([record.owner]);
    for (const admin of record.admins ?? []) users.add(admin);
    for (const user of record.shared_with?.users ?? []) users.add(user);
    for (const group of record.shared_with?.groups ?? []) for (const member of this.groups.membersOf(group)) users.add(member);
    return [...users].map(userRoom);
  }

  /** Public endpoints go to every client; private ones to the rooms of their audience, one message per audience. */
  private groupByAudience<T extends EndpointRecord>(records: T[]): { everyone: T[]; rooms: Map<string, { rooms: string[]; records: T[] }> } {
    const everyone: T[] = [];
    const byRooms = new Map<string, { rooms: string[]; records: T[] }>();
    for (const record of records) {
      if (record.public) {
        everyone.push(record);
        continue;
      }
      const rooms = this.audience(record).sort();
      const key = rooms.join('\n');
      let audience = byRooms.get(key);
      if (!audience) byRooms.set(key, (audience = { rooms, records: [] }));
      audience.records.push(record);
    }
    return { everyone, rooms: byRooms };
  }
}
