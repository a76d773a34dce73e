import { FuncxError, type GroupRecord } from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import type { AccountStore } from '../store/store.js';
import { assertUsersExist, checkName } from './users.js';

function sorted(group: GroupRecord): GroupRecord {
  return { ...group, members: [...group.members].sort() };
}

function noSuchGroup(name: string): FuncxError {
  return new FuncxError('FUNCX_GROUP_NOT_FOUND', `No group "${name}": list them with "funcx-hub groups list" (or GET /v1/groups)`);
}

/** The names among these that are no group of this hub. */
export async function unknownGroups(store: AccountStore, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const known = new Set((await store.listGroups()).map((group) => group.name));
  return [...new Set(names)].filter((name) => !known.has(name));
}

export async function createGroup(store: AccountStore, actor: Actor, name: string, members: string[]): Promise<GroupRecord> {
  checkName('group', name);
  for (const member of members) checkName('user', member);
  await assertUsersExist(store, members, `Group "${name}" cannot be created`);
  const group: GroupRecord = { name, members: [...new Set(members)], created_at: Date.now(), created_by: actor.user };
  if (!(await store.createGroup(group))) {
    throw new FuncxError('FUNCX_NAME_TAKEN', `A group "${name}" exists already: add members with "funcx-hub groups add ${name} USER" (or PUT /v1/groups/${name}/members)`);
  }
  await store.appendAudit([auditRecord(actor, 'group.create', { target: name, detail: { members: group.members } })]);
  return sorted(group);
}

/** Adds, then removes, members; users added must exist, users removed need not. */
export async function changeGroupMembers(store: AccountStore, actor: Actor, name: string, add: string[], remove: string[]): Promise<GroupRecord> {
  for (const member of [...add, ...remove]) checkName('user', member);
  await assertUsersExist(store, add, `Group "${name}" cannot take them`);
  const group = await store.changeGroupMembers(name, [...new Set(add)], [...new Set(remove)]);
  if (!group) throw noSuchGroup(name);
  await store.appendAudit([auditRecord(actor, 'group.change', { target: name, detail: { add, remove } })]);
  return sorted(group);
}

export async function deleteGroup(store: AccountStore, actor: Actor, name: string): Promise<void> {
  if (!(await store.deleteGroup(name))) throw noSuchGroup(name);
  await store.appendAudit([auditRecord(actor, 'group.delete', { target: name })]);
}

/** Every group, or only those `member` is in, by name. */
export async function listGroups(store: AccountStore, member?: string): Promise<GroupRecord[]> {
  const groups = (await store.listGroups()).filter((group) => member === undefined || group.members.includes(member));
  return groups.map(sorted).sort((a, b) => a.name.localeCompare(b.name));
}
