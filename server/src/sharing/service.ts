import {
  FuncxError,
  sharingState,
  type EndpointGroupRecord,
  type EndpointRecord,
  type FunctionRecord,
  type Sharing,
  type SharingState,
  type SharingUpdate,
} from '@funcx/protocol';
import { unknownGroups } from '../accounts/groups.js';
import { unknownUsers } from '../accounts/users.js';
import { auditRecord, type Actor } from '../audit/entries.js';
import { assertOwns, type Access } from '../auth/access.js';
import type { EndpointGroupDirectory } from '../endpoint-groups/directory.js';
import type { EndpointDirectory } from '../endpoints/directory.js';
import type { EventFanout } from '../events/fanout.js';
import type { FunctionRegistry } from '../functions/registry.js';
import type { GroupMembership } from '../groups/membership.js';
import type { Store } from '../store/store.js';
import { forgetGroups } from './forget-groups.js';
import { normalizeFunctionIds } from '../tasks/allowed-functions.js';

function quoted(names: string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

/** Changes who may use functions, endpoints and endpoint groups (and which functions an endpoint runs). */
export class SharingService {
  constructor(
    private readonly store: Store,
    private readonly functions: FunctionRegistry,
    private readonly endpoints: EndpointDirectory,
    private readonly endpointGroups: EndpointGroupDirectory,
    private readonly access: Access,
    private readonly groups: GroupMembership,
    private readonly fanout: EventFanout,
    private readonly announce: (endpointId: string) => Promise<void>,
  ) {}

  /** Only the owner changes a function's sharing. */
  async shareFunction(actor: Actor, functionId: string, update: SharingUpdate): Promise<SharingState> {
    const fn = await this.functions.get(actor.user, functionId);
    assertOwns(actor.user, fn, `the sharing of function ${functionId}`);
    const next: FunctionRecord = { ...fn, public: update.public ?? fn.public, shared_with: await this.sharing(fn.shared_with, update) };
    const state = sharingState(next);
    await Promise.all([
      this.functions.replace(next),
      this.store.appendAudit([auditRecord(actor, 'function.share', { function_ids: [functionId], detail: { ...state } })]),
    ]);
    return state;
  }

  /** The owner and the endpoint's admins change its sharing and allowed functions; only the owner its admins. */
  async shareEndpoint(actor: Actor, ref: string, update: SharingUpdate): Promise<SharingState> {
    const endpoint = await this.endpoints.resolve(actor.user, ref);
    this.access.assertCanManage(actor.user, endpoint);
    if (update.admins !== undefined && endpoint.owner !== actor.user) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Only the owner of endpoint "${endpoint.name}" (${endpoint.owner}) may change its admins`);
    }
    const next: EndpointRecord = { ...endpoint, public: update.public ?? endpoint.public, shared_with: await this.sharing(endpoint.shared_with, update) };
    if (update.admins !== undefined) next.admins = [...new Set(update.admins)];
    else next.admins ??= [];
    if (update.allowed_functions === null) delete next.allowed_functions;
    else if (update.allowed_functions !== undefined) next.allowed_functions = normalizeFunctionIds(update.allowed_functions);
    const state = sharingState(next);
    await Promise.all([
      this.store.putEndpoint(next),
      this.store.appendAudit([auditRecord(actor, 'endpoint.share', { endpoint_ids: [endpoint.endpoint_id], detail: { ...state } })]),
    ]);
    this.endpoints.changed(endpoint.endpoint_id);
    this.fanout.endpointAccessChanged(endpoint, next);
    await this.announce(endpoint.endpoint_id);
    return state;
  }

  /**
   * Only the owner changes an endpoint group's sharing. Sharing a group shares none of its endpoints: a user it is
   * shared with routes only to the members that user may use already.
   */
  async shareEndpointGroup(actor: Actor, ref: string, update: SharingUpdate): Promise<SharingState> {
    const group = await this.endpointGroups.resolve(actor.user, ref);
    assertOwns(actor.user, group, `the sharing of endpoint group "${group.name}"`);
    const next: EndpointGroupRecord = { ...group, public: update.public ?? group.public, shared_with: await this.sharing(group.shared_with, update) };
    const state = sharingState(next);
    await Promise.all([
      this.endpointGroups.replace(next),
      this.store.appendAudit([auditRecord(actor, 'endpoint_group.share', { target: `${group.owner}/${group.name}`, detail: { group_id: group.group_id, ...state } })]),
    ]);
    return state;
  }

  /** Takes groups that are gone out of every sharing list; functions read from the store again from now on. */
  async forgetGroups(gone: (group: string) => boolean): Promise<void> {
    if ((await forgetGroups(this.store, gone)) > 0) {
      this.functions.forgetCached();
      this.endpoints.forgetAll();
    }
  }

  /** The lists after an update, every user (admins too) and group named checked to exist (a 400 names the rest). */
  async sharing(current: Sharing | undefined, update: SharingUpdate): Promise<Sharing> {
    const users = update.users ?? current?.users ?? [];
    const groups = update.groups ?? current?.groups ?? [];
    const [missingUsers, missingGroups] = await Promise.all([
      unknownUsers(this.store, [...(update.users ?? []), ...(update.admins ?? [])]),
      unknownGroups(this.store, update.groups ?? []),
    ]);
    if (missingUsers.length > 0 || missingGroups.length > 0) {
      const parts: string[] = [];
      if (missingUsers.length > 0) parts.push(`no user ${quoted(missingUsers)}`);
      if (missingGroups.length > 0) parts.push(`no group ${quoted(missingGroups)}`);
      throw new FuncxError(
        'FUNCX_BAD_REQUEST',
        `Nothing was changed: this hub has ${parts.join(' and ')}; check the spelling (GET /v1/groups lists your groups; an admin can list users)`,
      );
    }
    this.groups.noteExisting(update.groups ?? []);
    return { users: [...new Set(users)], groups: [...new Set(groups)] };
  }
}
