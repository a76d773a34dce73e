import type { EndpointRecord, EndpointView, TaskEvent } from '@funcx/protocol';
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
      const byAudience = groupByAudience([...this.endpointViews.values()]);
      this.endpointViews.clear();
      if (byAudience.everyone.length > 0) namespace.emit('endpoint:status', byAudience.everyone);
      for (const [owner, views] of byAudience.owners) namespace.to(userRoom(owner)).emit('endpoint:status', views);
    }
    if (this.removed.length > 0) {
      const byAudience = groupByAudience(this.removed);
      this.removed = [];
      const ids = (records: EndpointRecord[]) => records.map((record) => record.endpoint_id);
      if (byAudience.everyone.length > 0) namespace.emit('endpoint:removed', ids(byAudience.everyone));
      for (const [owner, records] of byAudience.owners) namespace.to(userRoom(owner)).emit('endpoint:removed', ids(records));
    }
  }
}

/** Public endpoints go to every client; private ones to their owner's room. */
function groupByAudience<T extends EndpointRecord>(records: T[]): { everyone: T[]; owners: Map<string, T[]> } {
  const everyone: T[] = [];
  const owners = new Map<string, T[]>();
  for (const record of records) {
    if (record.public) everyone.push(record);
    else {
      let list = owners.get(record.owner);
      if (!list) owners.set(record.owner, (list = []));
      list.push(record);
    }
  }
  return { everyone, owners };
}
