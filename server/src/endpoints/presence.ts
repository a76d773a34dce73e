import { loadChanged, type EndpointLoad, type EndpointStatus, type SessionStatus } from '@funcx/protocol';

/** An unchanged endpoint's status is sent to clients again after this long, so its last heartbeat stays recent. */
export const STATUS_REFRESH_MS = 30_000;

interface Live {
  online: boolean;
  load: EndpointLoad;
  last_heartbeat?: number;
  /** When anything was last heard from the endpoint (any event counts as a sign of life). */
  lastSeen: number;
  /** When clients were last sent its status because of a heartbeat. */
  lastAnnounced: number;
}

const NO_LOAD: EndpointLoad = { workers_total: 0, workers_busy: 0, queued: 0, running: 0, warm_images: [] };

/** The live status of endpoints as this hub sees them (not persisted: a restarted hub starts with all offline). */
export class EndpointPresence {
  private readonly live = new Map<string, Live>();

  online(endpointId: string, load: EndpointLoad, at = Date.now()): void {
    this.live.set(endpointId, { online: true, load, last_heartbeat: at, lastSeen: at, lastAnnounced: at });
  }

  /**
   * Records a heartbeat; true when clients should hear about it: when the load changed, and otherwise once every
   * STATUS_REFRESH_MS (a heartbeat every two seconds with nothing new is not sent to every client).
   */
  heartbeat(endpointId: string, load: EndpointLoad, at = Date.now()): boolean {
    const live = this.live.get(endpointId);
    if (!live) return false;
    const announce = loadChanged(live.load, load) || at - live.lastAnnounced >= STATUS_REFRESH_MS;
    live.load = load;
    live.last_heartbeat = at;
    live.lastSeen = at;
    if (announce) live.lastAnnounced = at;
    return announce;
  }

  seen(endpointId: string, at = Date.now()): void {
    const live = this.live.get(endpointId);
    if (live) live.lastSeen = at;
  }

  offline(endpointId: string): boolean {
    const live = this.live.get(endpointId);
    if (!live || !live.online) return false;
    live.online = false;
    live.load = { ...NO_LOAD, queued: live.load.queued };
    return true;
  }

  forget(endpointId: string): void {
    this.live.delete(endpointId);
  }

  isOnline(endpointId: string): boolean {
    return this.live.get(endpointId)?.online ?? false;
  }

  onlineCount(): number {
    let count = 0;
    for (const live of this.live.values()) if (live.online) count++;
    return count;
  }

  /** Online endpoints not heard from since `before`. */
  silentSince(before: number): string[] {
    const ids: string[] = [];
    for (const [id, live] of this.live) if (live.online && live.lastSeen < before) ids.push(id);
    return ids;
  }

  /** The status to show; `hubQueued` tasks wait at the hub for this endpoint. */
  status(endpointId: string, hubQueued: number): EndpointStatus {
    const live = this.live.get(endpointId);
    return statusOf(live?.load ?? NO_LOAD, live?.online ?? false, hubQueued, live?.last_heartbeat);
  }

  /** Every user's sessions at the endpoint, as it last reported them (none while it is offline). */
  sessions(endpointId: string): SessionStatus[] | undefined {
    const live = this.live.get(endpointId);
    return live?.online ? (live.load.sessions ?? []) : undefined;
  }
}

/** An endpoint's status as every user may see it: its sessions only as a count (each user sees their own apart). */
export function statusOf(load: EndpointLoad, online: boolean, hubQueued: number, lastHeartbeat?: number): EndpointStatus {
  const status: EndpointStatus = {
    online,
    workers_total: load.workers_total,
    workers_busy: load.workers_busy,
    queued: load.queued + hubQueued,
    running: load.running,
    warm_images: load.warm_images,
  };
  if (load.blocks !== undefined) status.blocks = load.blocks;
  if (load.provider !== undefined) status.provider = load.provider;
  if (load.sessions !== undefined) status.session_count = load.sessions.length;
  if (load.max_sessions !== undefined) status.max_sessions = load.max_sessions;
  if (load.session_idle_s !== undefined) status.session_idle_s = load.session_idle_s;
  if (lastHeartbeat !== undefined) status.last_heartbeat = lastHeartbeat;
  return status;
}
