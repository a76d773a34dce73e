import { randomUUID } from 'node:crypto';
import {
  FuncxError,
  GROUP_PREFIX,
  emptySharing,
  endpointRef,
  groupRef,
  type EndpointGroupCreation,
  type EndpointGroupMember,
  type EndpointGroupRecord,
  type EndpointGroupUpdate,
  type EndpointGroupView,
  type EndpointRecord,
} from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import { assertOwns, type Access } from '../auth/access.js';
import { findByName, ownerAndName, type NamedKind } from '../endpoints/by-name.js';
import { UUID, type EndpointDirectory } from '../endpoints/directory.js';
import type { Store } from '../store/store.js';

const ENDPOINT_GROUPS: NamedKind<EndpointGroupRecord> = {
  noun: 'endpoint group',
  plural: 'endpoint groups',
  code: 'FUNCX_ENDPOINT_GROUP_NOT_FOUND',
  refOf: groupRef,
  noneYet: 'You have no endpoint groups yet: create one with "funcx endpoint-groups create NAME ENDPOINT..."',
};

/** `owner/name` of a group, as the audit log names it. */
function qualified(group: EndpointGroupRecord): string {
  return `${group.owner}/${group.name}`;
}

/**
 * Endpoint groups: named sets of endpoints that tasks are routed across. Each is owned, and shared like an
 * endpoint; its members are endpoints its owner could use when they were added. Using a group never grants use
 * of its endpoints: each user's tasks go only to the members that user may use.
 */
export class EndpointGroupDirectory {
  constructor(
    private readonly store: Store,
    private readonly endpoints: EndpointDirectory,
    private readonly access: Access,
  ) {}

  async create(actor: Actor, creation: EndpointGroupCreation): Promise<EndpointGroupView> {
    const group: EndpointGroupRecord = {
      group_id: randomUUID(),
      name: creation.name,
      owner: actor.user,
      endpoints: await this.memberIds(actor.user, creation.endpoints),
      public: creation.public ?? false,
      shared_with: emptySharing(),
      created_at: Date.now(),
    };
    if (creation.policy !== undefined) group.policy = creation.policy;
    if (!(await this.store.createEndpointGroup(group))) {
      throw new FuncxError('FUNCX_NAME_TAKEN', `You already have an endpoint group named "${group.name}": change it with PUT /v1/endpoint-groups/${group.name}, or pick another name`);
    }
    await this.audit(actor, 'endpoint_group.create', group);
    return this.view(actor.user, group);
  }

  /** The groups a user may use (own first), each as that user sees it. */
  async list(user: string): Promise<EndpointGroupView[]> {
    const usable = (await this.store.listEndpointGroups()).filter((group) => this.access.canUse(user, group));
    usable.sort((a, b) => Number(b.owner === user) - Number(a.owner === user) || a.owner.localeCompare(b.owner) || a.name.localeCompare(b.name));
    return Promise.all(usable.map((group) => this.view(user, group)));
  }

  /**
   * The group a user means: its id, a name of their own, or `owner/name` for one shared with them, each with or
   * without the `group:` a submission writes. 404 lists the groups they can use; 403 for another user's by id.
   */
  async resolve(user: string, ref: string): Promise<EndpointGroupRecord> {
    const bare = ref.startsWith(GROUP_PREFIX) ? ref.slice(GROUP_PREFIX.length) : ref;
    if (UUID.test(bare)) {
      const group = await this.store.getEndpointGroup(bare.toLowerCase());
      if (group) {
        if (!this.access.canUse(user, group)) {
          throw new FuncxError('FUNCX_FORBIDDEN', `Endpoint group "${group.name}" belongs to ${group.owner} and is not shared with you: ask them to share it`);
        }
        return group;
      }
    }
    const { owner, name } = ownerAndName(user, bare);
    const named = await this.store.findEndpointGroup(owner, name);
    if (named && this.access.canUse(user, named)) return named;
    // The error says what the user may have meant, from every group they can use.
    return findByName(await this.store.listEndpointGroups(), user, bare, (group) => this.access.canUse(user, group), ENDPOINT_GROUPS);
  }

  /** The group with its members as this user sees them: only those the user may use are named. */
  async view(user: string, group: EndpointGroupRecord): Promise<EndpointGroupView> {
    const records = await Promise.all(group.endpoints.map((id) => this.endpoints.get(id)));
    const members = await Promise.all(
      group.endpoints.map(async (endpointId, i): Promise<EndpointGroupMember> => {
        const endpoint = records[i];
        if (!endpoint || !this.access.canUse(user, endpoint)) return { endpoint_id: endpointId, usable: false };
        const { status } = await this.endpoints.view(endpoint);
        return { endpoint_id: endpointId, usable: true, ref: endpointRef(user, endpoint), online: status.online };
      }),
    );
    return { ...group, ref: groupRef(user, group), members };
  }

  /** Changes a group's endpoints or policy; only its owner may. */
  async update(actor: Actor, ref: string, update: EndpointGroupUpdate): Promise<EndpointGroupView> {
    const group = await this.resolve(actor.user, ref);
    assertOwns(actor.user, group, `endpoint group "${group.name}"`);
    const next: EndpointGroupRecord = { ...group };
    if (update.endpoints !== undefined) next.endpoints = await this.memberIds(actor.user, update.endpoints);
    if (update.policy === null) delete next.policy;
    else if (update.policy !== undefined) next.policy = update.policy;
    await this.store.putEndpointGroup(next);
    await this.audit(actor, 'endpoint_group.change', next);
    return this.view(actor.user, next);
  }

  /** Stores a group whose sharing changed (the sharing service checks and audits it). */
  replace(group: EndpointGroupRecord): Promise<void> {
    return this.store.putEndpointGroup(group);
  }

  async delete(actor: Actor, ref: string): Promise<void> {
    const group = await this.resolve(actor.user, ref);
    assertOwns(actor.user, group, `endpoint group "${group.name}"`);
    await this.store.deleteEndpointGroup(group.group_id);
    await this.audit(actor, 'endpoint_group.delete', group);
  }

  /** A deleted endpoint leaves every group it was in. */
  async forgetEndpoint(endpointId: string): Promise<void> {
    const groups = (await this.store.listEndpointGroups()).filter((group) => group.endpoints.includes(endpointId));
    await Promise.all(groups.map((group) => this.store.putEndpointGroup({ ...group, endpoints: group.endpoints.filter((id) => id !== endpointId) })));
  }

  /** The members of a group, in order and once each: endpoints its owner can use (a 4xx names the one that is not). */
  private async memberIds(owner: string, refs: string[]): Promise<string[]> {
    const records: EndpointRecord[] = [];
    for (let i = 0; i < refs.length; i++) {
      try {
        records.push(await this.endpoints.resolve(owner, refs[i]));
      } catch (error) {
        if (error instanceof FuncxError) throw new FuncxError(error.code, `endpoints[${i}]: ${error.message}; a group holds only endpoints you can use`);
        throw error;
      }
    }
    return [...new Set(records.map((endpoint) => endpoint.endpoint_id))];
  }

  private audit(actor: Actor, action: 'endpoint_group.create' | 'endpoint_group.change' | 'endpoint_group.delete', group: EndpointGroupRecord): Promise<void> {
    const detail: { [key: string]: unknown } = { group_id: group.group_id };
    if (action !== 'endpoint_group.delete') detail.policy = group.policy ?? null;
    return this.store.appendAudit([auditRecord(actor, action, { target: qualified(group), endpoint_ids: group.endpoints, detail })]);
  }
}
