import { DEFAULT_POLICY, POLICY_NAMES, isPolicyName, type EndpointGroupView, type PolicyName } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { table } from '../format.js';
import type { HubClient } from '../hub-client.js';
import { sharingSummary } from './lists.js';

export interface GroupPolicyFlags {
  policy?: string;
  defaultPolicy?: boolean;
  public?: boolean;
}

/** The policy a flag names, checked here so that a typo is told with the valid names before anything is sent. */
export function policyFlag(value: string | undefined): PolicyName | undefined {
  if (value === undefined) return undefined;
  if (!isPolicyName(value)) throw new CliError(`--policy must be one of ${POLICY_NAMES.join(', ')} (got "${value}")`, 2);
  return value;
}

function policyText(group: EndpointGroupView): string {
  return group.policy ?? `${DEFAULT_POLICY} (the hub's default)`;
}

/** The members as the user writes them; those not shared with the user are counted, not named. */
function membersText(group: EndpointGroupView, withStatus: boolean): string {
  const named = group.members.filter((member) => member.usable).map((member) => (withStatus && !member.online ? `${member.ref} (offline)` : member.ref!));
  const hidden = group.members.length - named.length;
  if (hidden > 0) named.push(`${hidden} not shared with you`);
  return named.length > 0 ? named.join(', ') : '(none)';
}

/** A group as lines of `key  value`, the way `funcx status` prints a task. */
export function groupText(group: EndpointGroupView): string {
  const rows: [string, string][] = [
    ['group', group.ref],
    ['id', group.group_id],
    ['policy', policyText(group)],
    ['endpoints', membersText(group, true)],
    ['sharing', sharingSummary(group)],
  ];
  return rows.map(([key, value]) => `${key.padEnd(9)}  ${value}`).join('\n');
}

export async function listGroupsCommand(client: HubClient): Promise<number> {
  const groups = await client.listEndpointGroups();
  if (groups.length === 0) {
    process.stdout.write('no endpoint groups yet: make one with `funcx endpoint-groups create NAME ENDPOINT...`\n');
    return 0;
  }
  const rows = groups.map((group) => [group.ref, policyText(group), membersText(group, false), sharingSummary(group), group.owner]);
  process.stdout.write(`${table(['GROUP', 'POLICY', 'ENDPOINTS', 'SHARING', 'OWNER'], rows)}\n`);
  return 0;
}

export async function showGroupCommand(client: HubClient, ref: string): Promise<number> {
  process.stdout.write(`${groupText(await client.getEndpointGroup(ref))}\n`);
  return 0;
}

export async function createGroupCommand(client: HubClient, name: string, endpoints: string[], flags: GroupPolicyFlags): Promise<number> {
  const policy = policyFlag(flags.policy);
  const group = await client.createEndpointGroup({ name, endpoints, ...(policy ? { policy } : {}), ...(flags.public ? { public: true } : {}) });
  process.stdout.write(`${groupText(group)}\n`);
  return 0;
}

/** `set`: replaces the endpoints (when any are given) and the policy (--policy, or --default-policy for the hub's). */
export async function setGroupCommand(client: HubClient, ref: string, endpoints: string[], flags: GroupPolicyFlags): Promise<number> {
  if (flags.policy !== undefined && flags.defaultPolicy) throw new CliError('give --policy NAME or --default-policy, not both', 2);
  const policy = flags.defaultPolicy ? null : policyFlag(flags.policy);
  if (endpoints.length === 0 && policy === undefined) throw new CliError('say what to change: the endpoints, --policy NAME or --default-policy', 2);
  const group = await client.updateEndpointGroup(ref, { ...(endpoints.length > 0 ? { endpoints } : {}), ...(policy !== undefined ? { policy } : {}) });
  process.stdout.write(`${groupText(group)}\n`);
  return 0;
}

/** `add` and `remove`: the group's endpoints with these added at the end, or taken out. */
export async function changeGroupCommand(client: HubClient, ref: string, endpoints: string[], adding: boolean): Promise<number> {
  const group = await client.getEndpointGroup(ref);
  let next: string[];
  if (adding) {
    next = [...group.endpoints, ...endpoints];
  } else {
    const gone = new Set(endpoints);
    const kept = group.members.filter((member) => !gone.has(member.endpoint_id) && !(member.ref !== undefined && gone.has(member.ref)));
    const found = group.members.length - kept.length;
    if (found < gone.size) {
      const refs = new Set(group.members.flatMap((member) => [member.endpoint_id, member.ref]));
      const missing = endpoints.filter((endpoint) => !refs.has(endpoint));
      throw new CliError(`${group.ref} does not hold ${missing.map((endpoint) => `"${endpoint}"`).join(', ')}: it holds ${membersText(group, false)}`);
    }
    next = kept.map((member) => member.endpoint_id);
  }
  process.stdout.write(`${groupText(await client.updateEndpointGroup(ref, { endpoints: next }))}\n`);
  return 0;
}

export async function deleteGroupCommand(client: HubClient, ref: string): Promise<number> {
  await client.deleteEndpointGroup(ref);
  process.stdout.write(`deleted endpoint group ${ref}\n`);
  return 0;
}
