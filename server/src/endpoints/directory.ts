import { randomUUID } from 'node:crypto';
import {
  emptySharing,
  endpointRef,
  type EndpointCapabilities,
  type EndpointCreated,
  type EndpointRecord,
  type EndpointRegistration,
  type EndpointView,
  type SessionStatus,
} from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import { assertOwns, type Access } from '../auth/access.js';
import { newToken } from '../auth/tokens.js';
import type { Store } from '../store/store.js';
import { normalizeFunctionIds } from '../tasks/allowed-functions.js';
import { findByName, ownerAndName, type NamedKind } from './by-name.js';
import { statusOf, type EndpointPresence } from './presence.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ENDPOINTS: NamedKind<EndpointRecord> = {
  noun: 'endpoint',
  plural: 'endpoints',
  code: 'FUNCX_ENDPOINT_NOT_FOUND',
  refOf: endpointRef,
  noneYet: 'You have no endpoints yet: create one with "funcx-endpoint configure NAME"',
};

/** An endpoint as the API shows it: sharing and admins always present (records from before sharing have none). */
export function withSharing<T extends EndpointRecord>(endpoint: T): T {
  if (endpoint.shared_with && endpoint.admins) return endpoint;
  return { ...endpoint, shared_with: endpoint.shared_with ?? emptySharing(), admins: endpoint.admins ?? [] };
}

/**
 * How long a submission may use an endpoint record read earlier, as functions' records (FUNCTION_CACHE_MS): a
 * change made through this hub applies at once, one made through another hub on the same Redis within this long.
 */
export const ENDPOINT_CACHE_MS = 1_000;

/** Endpoints: registration, lookup by id or name among those a user may use, and their live views. */
export class EndpointDirectory {
  /** Records read for submissions, by id; and ids by `owner/name`. */
  private readonly cached = new Map<string, { endpoint: EndpointRecord; until: number }>();
  private readonly cachedIds = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly presence: EndpointPresence,
    private readonly access: Access,
  ) {}

  /** Registers an endpoint; the same owner registering a name again gets the same id and a new token. */
  async register(actor: Actor, registration: EndpointRegistration): Promise<EndpointCreated & { created: boolean }> {
    const owner = actor.user;
    const all = await this.store.listEndpoints();
    const existing = all.find((endpoint) => endpoint.owner === owner && endpoint.name === registration.name);
    const record: EndpointRecord = existing
      ? { ...existing }
      : { endpoint_id: randomUUID(), name: registration.name, owner, public: false, shared_with: emptySharing(), admins: [], created_at: Date.now() };
    if (registration.location !== undefined) record.location = registration.location;
    if (registration.site !== undefined) record.site = registration.site;
    if (registration.public !== undefined) record.public = registration.public;
    const { token, record: tokenRecord } = newToken('endpoint', record.endpoint_id);
    if (existing) await this.store.deleteTokensOf('endpoint', record.endpoint_id);
    const audit = auditRecord(actor, 'endpoint.register', { endpoint_ids: [record.endpoint_id], detail: { name: record.name, new: !existing } });
    await Promise.all([this.store.putEndpoint(record), this.store.putToken(tokenRecord), this.store.appendAudit([audit])]);
    this.changed(record.endpoint_id);
    return { endpoint_id: record.endpoint_id, endpoint_token: token, created: !existing };
  }

  async list(user: string): Promise<EndpointView[]> {
    const usable = (await this.store.listEndpoints()).filter((endpoint) => this.access.canUse(user, endpoint));
    usable.sort((a, b) => Number(b.owner === user) - Number(a.owner === user) || a.name.localeCompare(b.name));
    return Promise.all(usable.map((endpoint) => this.view(endpoint)));
  }

  /**
   * The endpoint a user means by an id, a name of their own, or `owner/name` for one shared with them. A bare
   * name never resolves to someone else's endpoint, so nobody can take over a name another user types: the 404
   * lists the shared endpoints of that name by their full names. 403 for another user's private endpoint by id.
   */
  async resolve(user: string, ref: string): Promise<EndpointRecord> {
    if (UUID.test(ref)) {
      const endpoint = await this.store.getEndpoint(ref.toLowerCase());
      if (endpoint) {
        this.access.assertCanUseEndpoint(user, endpoint);
        return endpoint;
      }
    }
    const { owner, name } = ownerAndName(user, ref);
    const named = await this.store.findEndpoint(owner, name);
    if (named && this.access.canUse(user, named)) return named;
    // The error says what the user may have meant, from every endpoint they can use.
    return findByName(await this.store.listEndpoints(), user, ref, (endpoint) => this.access.canUse(user, endpoint), ENDPOINTS);
  }

  /**
   * As resolve, for a submission: the record may be up to ENDPOINT_CACHE_MS old (a round trip less per
   * submission with a shared store). Who may use it is decided now, from the record and the groups as they are.
   */
  async resolveToSubmit(user: string, ref: string): Promise<EndpointRecord> {
    const at = Date.now();
    const id = UUID.test(ref) ? ref.toLowerCase() : this.cachedIds.get(nameKey(ownerAndName(user, ref)));
    const hit = id === undefined ? undefined : this.cached.get(id);
    if (hit && hit.until > at && this.access.canUse(user, hit.endpoint)) return hit.endpoint;
    const endpoint = await this.resolve(user, ref);
    if (this.cached.size >= MAX_CACHED) this.forgetAll();
    this.cached.set(endpoint.endpoint_id, { endpoint, until: at + ENDPOINT_CACHE_MS });
    this.cachedIds.set(nameKey(endpoint), endpoint.endpoint_id);
    return endpoint;
  }

  /** The endpoint's record changed (or it was deleted) through this hub: submissions read it again. */
  changed(endpointId: string): void {
    const hit = this.cached.get(endpointId);
    if (!hit) return;
    this.cached.delete(endpointId);
    this.cachedIds.delete(nameKey(hit.endpoint));
  }

  forgetAll(): void {
    this.cached.clear();
    this.cachedIds.clear();
  }

  /** Its record and live status, as this hub sees it or, for an endpoint connected to another hub, as that hub does. */
  async view(endpoint: EndpointRecord): Promise<EndpointView> {
    const [queued, [shared]] = await Promise.all([
      this.store.queueLength(endpoint.endpoint_id),
      this.store.getPresence([endpoint.endpoint_id]),
    ]);
    const status = this.presence.status(endpoint.endpoint_id, queued);
    if (status.online || !shared) return { ...withSharing(endpoint), status };
    return { ...withSharing(endpoint), status: statusOf(shared.load, true, queued, shared.last_heartbeat) };
  }

  /** Every user's sessions at the endpoint as it last reported them, here or through another hub; none offline. */
  async sessions(endpointId: string): Promise<SessionStatus[]> {
    const local = this.presence.sessions(endpointId);
    if (local) return local;
    const [shared] = await this.store.getPresence([endpointId]);
    return shared?.load.sessions ?? [];
  }

  /** Deletes an endpoint the user owns, revoking its token; returns the record it had. */
  async delete(actor: Actor, ref: string): Promise<EndpointRecord> {
    const endpoint = await this.resolve(actor.user, ref);
    assertOwns(actor.user, endpoint, `endpoint "${endpoint.name}"`);
    await Promise.all([
      this.store.deleteEndpoint(endpoint.endpoint_id),
      this.store.deleteTokensOf('endpoint', endpoint.endpoint_id),
      this.store.appendAudit([auditRecord(actor, 'endpoint.delete', { endpoint_ids: [endpoint.endpoint_id], detail: { name: endpoint.name } })]),
    ]);
    this.changed(endpoint.endpoint_id);
    this.presence.forget(endpoint.endpoint_id);
    return endpoint;
  }

  /**
   * Keeps the allowed functions an endpoint's config names (sent in its hello) on its record, replacing the
   * list set through the API; returns the record as it is now.
   */
  async setAllowedFunctions(endpointId: string, functionIds: string[]): Promise<EndpointRecord | undefined> {
    const endpoint = await this.store.getEndpoint(endpointId);
    if (!endpoint) return undefined;
    const list = normalizeFunctionIds(functionIds);
    const current = endpoint.allowed_functions;
    if (current && current.length === list.length && current.every((id, i) => id === list[i])) return endpoint;
    const next: EndpointRecord = { ...endpoint, allowed_functions: list };
    const actor: Actor = { user: endpoint.owner, via: 'endpoint' };
    await Promise.all([
      this.store.putEndpoint(next),
      this.store.appendAudit([auditRecord(actor, 'endpoint.allowed_functions', { endpoint_ids: [endpointId], detail: { allowed_functions: list.length } })]),
    ]);
    this.changed(endpointId);
    return next;
  }

  /** Keeps what the endpoint's daemon said it runs (its hello) on its record, so tasks are routed by it while it is offline too. */
  async setCapabilities(endpoint: EndpointRecord, capabilities: EndpointCapabilities): Promise<void> {
    const current = endpoint.capabilities;
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((item, i) => item === b[i]);
    if (current && same(current.languages, capabilities.languages) && same(current.isolation, capabilities.isolation)) return;
    const next: EndpointRecord = { ...endpoint, capabilities: { languages: [...capabilities.languages], isolation: [...capabilities.isolation] } };
    await this.store.putEndpoint(next);
    this.changed(endpoint.endpoint_id);
  }

  async get(endpointId: string): Promise<EndpointRecord | undefined> {
    return this.store.getEndpoint(endpointId);
  }
}

/** Most endpoint records kept for submissions. */
const MAX_CACHED = 10_000;

function nameKey(record: { owner: string; name: string }): string {
  return `${record.owner}/${record.name}`;
}
