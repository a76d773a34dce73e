import type { EndpointGroupRecord, EndpointRecord, FlowRecord, FunctionRecord, TaskRecord } from '@funcx/protocol';
import { FuncxError } from '@funcx/protocol';
import type { GroupMembership } from '../groups/membership.js';

/** Anything shared the way functions and endpoints are. */
export type SharedRecord = FunctionRecord | EndpointRecord | EndpointGroupRecord | FlowRecord;

/**
 * Who may use (run on, run, read) an endpoint, an endpoint group or a function: its owner, everyone when it is
 * public, the users it is shared with, members of the groups it is shared with and, for an endpoint, its admins. Group membership
 * comes from the in-memory snapshot, so a check never waits for the store.
 */
export class Access {
  constructor(private readonly groups: GroupMembership) {}

  canUse(user: string, record: SharedRecord): boolean {
    if (record.owner === user || record.public) return true;
    const shared = record.shared_with;
    if (shared && (shared.users.includes(user) || (shared.groups.length > 0 && this.groups.inAny(user, shared.groups)))) return true;
    return 'admins' in record && record.admins !== undefined && record.admins.includes(user);
  }

  /** The owner and the endpoint's admins may change its sharing and its allowed functions. */
  canManage(user: string, endpoint: EndpointRecord): boolean {
    return endpoint.owner === user || (endpoint.admins?.includes(user) ?? false);
  }

  assertCanUseFunction(user: string, fn: FunctionRecord): void {
    if (!this.canUse(user, fn)) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Function ${fn.function_id} belongs to ${fn.owner} and is not shared with you: ask them to share it (funcx share function ${fn.function_id} --user ${user})`);
    }
  }

  assertCanUseEndpoint(user: string, endpoint: EndpointRecord): void {
    if (!this.canUse(user, endpoint)) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Endpoint "${endpoint.name}" belongs to ${endpoint.owner} and is not shared with you: ask them to share it`);
    }
  }

  assertCanManage(user: string, endpoint: EndpointRecord): void {
    if (!this.canManage(user, endpoint)) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Only the owner of endpoint "${endpoint.name}" (${endpoint.owner}) or one of its admins may change its sharing`);
    }
  }
}

export function assertOwns(user: string, record: { owner: string }, what: string): void {
  if (record.owner !== user) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Only its owner (${record.owner}) may change or delete ${what}`);
  }
}

export function assertOwnsTask(user: string, task: TaskRecord): void {
  if (task.owner !== user) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Task ${task.task_id} belongs to another user`);
  }
}
