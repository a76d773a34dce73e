import { randomUUID } from 'node:crypto';
import {
  FuncxError,
  endpointRef,
  qualifiedEndpointName,
  type EndpointCreated,
  type EndpointRecord,
  type EndpointRegistration,
  type EndpointView,
} from '@funcx/protocol';
import { assertCanUseEndpoint, assertOwns, canUse } from '../auth/access.js';
import { newToken } from '../auth/tokens.js';
import type { Store } from '../store/store.js';
import type { EndpointPresence } from './presence.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Endpoints: registration, lookup by id or name among those a user may use, and their live views. */
export class EndpointDirectory {
  constructor(
    private readonly store: Store,
    private readonly presence: EndpointPresence,
  ) {}

  /** Registers an endpoint; the same owner registering a name again gets the same id and a new token. */
  async register(owner: string, registration: EndpointRegistration): Promise<EndpointCreated & { created: boolean }> {
    const all = await this.store.listEndpoints();
    const existing = all.find((endpoint) => endpoint.owner === owner && endpoint.name === registration.name);
    const record: EndpointRecord = existing
      ? { ...existing }
      : { endpoint_id: randomUUID(), name: registration.name, owner, public: false, created_at: Date.now() };
    if (registration.location !== undefined) record.location = registration.location;
    if (registration.site !== undefined) record.site = registration.site;
    if (registration.public !== undefined) record.public = registration.public;
    const { token, record: tokenRecord } = newToken('endpoint', record.endpoint_id);
    if (existing) await this.store.deleteTokensOf('endpoint', record.endpoint_id);
    await Promise.all([this.store.putEndpoint(record), this.store.putToken(tokenRecord)]);
    return { endpoint_id: record.endpoint_id, endpoint_token: token, created: !existing };
  }

  async list(user: string): Promise<EndpointView[]> {
    const usable = (await this.store.listEndpoints()).filter((endpoint) => canUse(user, endpoint));
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
        assertCanUseEndpoint(user, endpoint);
        return endpoint;
      }
    }
    const all = await this.store.listEndpoints();
    const slash = ref.indexOf('/');
    const owner = slash === -1 ? user : ref.slice(0, slash);
    const name = slash === -1 ? ref : ref.slice(slash + 1);
    const match = all.find((endpoint) => endpoint.owner === owner && endpoint.name === name);
    if (match && canUse(user, match)) return match;
    const usable = all.filter((endpoint) => canUse(user, endpoint));
    const sameName = usable.filter((endpoint) => endpoint.name === name && endpoint.owner !== user);
    if (slash === -1 && sameName.length > 0) {
      const candidates = sameName.map((endpoint) => qualifiedEndpointName(endpoint.owner, endpoint.name)).sort();
      throw new FuncxError(
        'FUNCX_ENDPOINT_NOT_FOUND',
        `You have no endpoint named "${name}"; ${candidates.length === 1 ? 'one is' : `${candidates.length} are`} shared with you ` +
          `under that name: use ${candidates.map((candidate) => `"${candidate}"`).join(' or ')}`,
      );
    }
    const names = [...new Set(usable.map((endpoint) => endpointRef(user, endpoint)))].sort();
    throw new FuncxError(
      'FUNCX_ENDPOINT_NOT_FOUND',
      `No endpoint "${ref}". ` +
        (names.length > 0
          ? `Endpoints you can use: ${names.join(', ')}`
          : 'You have no endpoints yet: create one with "funcx-endpoint configure NAME"'),
    );
  }

  /** Its record and live status, as this hub sees it or, for an endpoint connected to another hub, as that hub does. */
  async view(endpoint: EndpointRecord): Promise<EndpointView> {
    const [queued, [shared]] = await Promise.all([
      this.store.queueLength(endpoint.endpoint_id),
      this.store.getPresence([endpoint.endpoint_id]),
    ]);
    const status = this.presence.status(endpoint.endpoint_id, queued);
    if (status.online || !shared) return { ...endpoint, status };
    const { load } = shared;
    return {
      ...endpoint,
      status: { ...load, online: true, queued: load.queued + queued, last_heartbeat: shared.last_heartbeat },
    };
  }

  /** Deletes an endpoint the user owns, revoking its token; returns the record it had. */
  async delete(user: string, ref: string): Promise<EndpointRecord> {
    const endpoint = await this.resolve(user, ref);
    assertOwns(user, endpoint, `endpoint "${endpoint.name}"`);
    await Promise.all([
      this.store.deleteEndpoint(endpoint.endpoint_id),
      this.store.deleteTokensOf('endpoint', endpoint.endpoint_id),
    ]);
    this.presence.forget(endpoint.endpoint_id);
    return endpoint;
  }

  async get(endpointId: string): Promise<EndpointRecord | undefined> {
    return this.store.getEndpoint(endpointId);
  }
}
