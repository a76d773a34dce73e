import type { PresenceRecord } from './store.js';

/** Lease taken on the in-flight tasks of an endpoint this process never heard from (e.g. after a restart). */
const FIRST_LEASE_MS = 15_000;

/**
 * Presence and leases of endpoints for the embedded store, in memory only: a restarted hub gives every endpoint
 * with tasks in flight a fresh lease, as long as the last one it granted, to come back and claim them.
 */
export class MemoryLeases {
  private readonly presence = new Map<string, { record: PresenceRecord; expiresAt: number }>();
  private readonly leases = new Map<string, number>();
  private leaseMs = FIRST_LEASE_MS;

  keepAlive(endpointId: string, record: PresenceRecord, presenceMs: number, leaseMs: number, at = Date.now()): void {
    this.presence.set(endpointId, { record, expiresAt: at + presenceMs });
    this.leases.set(endpointId, at + leaseMs);
    this.leaseMs = leaseMs;
  }

  endPresence(endpointId: string): void {
    this.presence.delete(endpointId);
  }

  getPresence(endpointIds: string[], at = Date.now()): (PresenceRecord | undefined)[] {
    return endpointIds.map((id) => {
      const live = this.presence.get(id);
      if (live && live.expiresAt > at) return live.record;
      this.presence.delete(id);
      return undefined;
    });
  }

  /** Of these endpoints with ids in flight, those whose lease ran out (each forgotten as it is returned). */
  expired(endpointsInFlight: string[], at = Date.now()): string[] {
    const expired: string[] = [];
    for (const id of endpointsInFlight) {
      const until = this.leases.get(id);
      if (until === undefined) this.leases.set(id, at + this.leaseMs);
      else if (until <= at) expired.push(id);
    }
    for (const [id, until] of this.leases) {
      if (until <= at) {
        this.leases.delete(id);
        if (!expired.includes(id)) expired.push(id);
      }
    }
    return expired;
  }
}
