import type { AuditAction, AuditChannel } from '@funcx/protocol';
import type { AuditRecord } from '../store/store.js';

/** Who acts, and through what: a REST call, a client socket, the hub's CLI, an endpoint's hello. */
export interface Actor {
  user: string;
  via: AuditChannel;
}

/** An audit record of `actor` doing `action` now, with what it acted on. */
export function auditRecord(actor: Actor, action: AuditAction, fields: Omit<AuditRecord, 'at' | 'user' | 'via' | 'action'> = {}): AuditRecord {
  return { at: Date.now(), user: actor.user, action, via: actor.via, ...fields };
}

/** A time as a query gives it (epoch milliseconds, or a date such as 2026-12-01T10:00:00Z) in epoch ms; NaN if neither. */
export function parseTime(value: string): number {
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}
