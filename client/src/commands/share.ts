import { sharingState, type SharingState, type SharingUpdate } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { resolveFunction } from './function-ref.js';
import type { HubClient } from '../hub-client.js';

export interface ShareFlags {
  public?: boolean;
  private?: boolean;
  user: string[];
  group: string[];
  admin: string[];
  allowFunction: string[];
  anyFunction?: boolean;
}

type Kind = 'function' | 'endpoint' | 'endpoint-group';

function kindOf(value: string): Kind {
  if (value !== 'function' && value !== 'endpoint' && value !== 'endpoint-group') {
    throw new CliError(`say what to share: "function ID", "endpoint NAME" or "endpoint-group NAME", not "${value}"`, 2);
  }
  return value;
}

function current(client: HubClient, kind: Kind, ref: string): Promise<Parameters<typeof sharingState>[0]> {
  if (kind === 'function') return client.getFunction(ref);
  return kind === 'endpoint' ? client.getEndpoint(ref) : client.getEndpointGroup(ref);
}

function share(client: HubClient, kind: Kind, ref: string, update: SharingUpdate): Promise<SharingState> {
  if (kind === 'function') return client.shareFunction(ref, update);
  return kind === 'endpoint' ? client.shareEndpoint(ref, update) : client.shareEndpointGroup(ref, update);
}

function added(list: string[], names: string[]): string[] {
  return [...new Set([...list, ...names])];
}

function removed(list: string[], names: string[]): string[] {
  const gone = new Set(names);
  return list.filter((name) => !gone.has(name));
}

/** The sharing as lines of `key  value`, the way `funcx status` prints a task. */
export function sharingText(kind: Kind, ref: string, state: SharingState): string {
  const none = (list: string[]) => (list.length > 0 ? list.join(', ') : '(none)');
  const rows: [string, string][] = [
    [kind, ref],
    ['public', state.public ? 'yes' : 'no'],
    ['users', none(state.shared_with.users)],
    ['groups', none(state.shared_with.groups)],
  ];
  if (kind === 'endpoint') {
    rows.push(['admins', none(state.admins ?? [])]);
    rows.push(['functions', state.allowed_functions ? none(state.allowed_functions) : 'any']);
  }
  const width = Math.max(...rows.map(([key]) => key.length));
  return rows.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n');
}

/**
 * `funcx share` (adds) and `funcx unshare` (removes), for functions, endpoints and endpoint groups: users,
 * groups and, for endpoints, admins and allowed functions; `--public`/`--private` (share) and `--public` (unshare) set whether everyone may use it.
 */
export async function shareCommand(client: HubClient, what: string, ref: string, flags: ShareFlags, adding: boolean): Promise<number> {
  const kind = kindOf(what);
  if (flags.public && flags.private) throw new CliError('give --public or --private, not both', 2);
  if (kind !== 'endpoint' && (flags.admin.length > 0 || flags.allowFunction.length > 0 || flags.anyFunction)) {
    throw new CliError('--admin, --allow-function and --any-function are for endpoints', 2);
  }
  if (kind === 'function') ref = await resolveFunction(client, ref);
  const before = sharingState(await current(client, kind, ref));
  const change = adding ? added : removed;
  const update: SharingUpdate = {};
  if (flags.public || flags.private) update.public = adding ? flags.public === true : false;
  if (flags.user.length > 0) update.users = change(before.shared_with.users, flags.user);
  if (flags.group.length > 0) update.groups = change(before.shared_with.groups, flags.group);
  if (flags.admin.length > 0) update.admins = change(before.admins ?? [], flags.admin);
  if (flags.anyFunction) update.allowed_functions = null;
  else if (flags.allowFunction.length > 0) {
    if (!adding && !before.allowed_functions) {
      throw new CliError(`endpoint ${ref} runs any function: there is no list to take ${flags.allowFunction.join(', ')} out of`);
    }
    const allowed = await Promise.all(flags.allowFunction.map((fn) => resolveFunction(client, fn)));
    update.allowed_functions = change(before.allowed_functions ?? [], allowed.map((id) => id.toLowerCase()));
  }
  let after = before;
  if (Object.keys(update).length > 0) {
    after = await share(client, kind, ref, update);
  }
  process.stdout.write(`${sharingText(kind, ref, after)}\n`);
  return 0;
}
