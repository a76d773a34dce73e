import { FuncxError, nameProblem, type IssuedToken, type NameKind, type UserSummary } from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import { newToken } from '../auth/tokens.js';
import type { AccountStore, UserRecord } from '../store/store.js';

/** A 400 for a user or group name that breaks the name rules. */
export function checkName(kind: NameKind, name: string): void {
  const problem = nameProblem(kind, name);
  if (problem) throw new FuncxError('FUNCX_BAD_REQUEST', problem);
}

export async function requireUser(store: AccountStore, name: string): Promise<UserRecord> {
  const user = await store.getUser(name);
  if (!user) {
    throw new FuncxError('FUNCX_USER_NOT_FOUND', `No user "${name}" on this hub: an admin adds one with "funcx-hub users add ${name}" (or POST /v1/users)`);
  }
  return user;
}

/** The names among these that are no user of this hub. */
export async function unknownUsers(store: AccountStore, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const known = new Set((await store.listUsers()).map((user) => user.name));
  return [...new Set(names)].filter((name) => !known.has(name));
}

/** A 400 naming every one of these users that does not exist. */
export async function assertUsersExist(store: AccountStore, names: string[], what: string): Promise<void> {
  const unknown = await unknownUsers(store, names);
  if (unknown.length > 0) {
    throw new FuncxError(
      'FUNCX_BAD_REQUEST',
      `${what}: no user ${unknown.map((name) => `"${name}"`).join(', ')} on this hub (an admin adds users with "funcx-hub users add NAME")`,
    );
  }
}

/**
 * Creates a user and issues their first token, or issues a further token to one that exists; `admin` makes
 * them an admin (it never takes that away).
 */
export async function addUser(store: AccountStore, actor: Actor, name: string, admin = false): Promise<IssuedToken & { created: boolean }> {
  checkName('user', name);
  const existing = await store.getUser(name);
  if (!existing || (admin && !existing.admin)) {
    const user: UserRecord = existing ? { ...existing } : { name, created_at: Date.now() };
    if (admin) user.admin = true;
    await store.putUser(user);
  }
  const { token, record } = newToken('user', name);
  await store.putToken(record);
  const detail = admin ? { admin: true } : undefined;
  await store.appendAudit([auditRecord(actor, existing ? 'token.issue' : 'user.add', { target: name, ...(detail ? { detail } : {}) })]);
  return { user: name, token, revoked_others: false, created: !existing };
}

/** A new token for a user; with `revokeOthers` (a rotation) every other token of theirs stops working. */
export async function issueToken(store: AccountStore, actor: Actor, name: string, revokeOthers: boolean): Promise<IssuedToken> {
  await requireUser(store, name);
  const { token, record } = newToken('user', name);
  if (revokeOthers) await store.deleteTokensOf('user', name);
  await store.putToken(record);
  await store.appendAudit([auditRecord(actor, revokeOthers ? 'token.rotate' : 'token.issue', { target: name })]);
  return { user: name, token, revoked_others: revokeOthers };
}

/** Revokes every token of a user; returns how many there were. */
export async function revokeTokens(store: AccountStore, actor: Actor, name: string): Promise<number> {
  await requireUser(store, name);
  const [count] = await store.countTokens('user', [name]);
  await store.deleteTokensOf('user', name);
  await store.appendAudit([auditRecord(actor, 'token.revoke', { target: name, detail: { revoked: count } })]);
  return count;
}

export async function listUsers(store: AccountStore): Promise<UserSummary[]> {
  const [users, groups] = await Promise.all([store.listUsers(), store.listGroups()]);
  users.sort((a, b) => a.name.localeCompare(b.name));
  const counts = await store.countTokens('user', users.map((user) => user.name));
  const groupsOf = new Map<string, string[]>();
  for (const group of groups.sort((a, b) => a.name.localeCompare(b.name))) {
    for (const member of group.members) {
      let names = groupsOf.get(member);
      if (!names) groupsOf.set(member, (names = []));
      names.push(group.name);
    }
  }
  return users.map((user, i) => ({
    name: user.name,
    admin: user.admin ?? false,
    created_at: user.created_at,
    tokens: counts[i],
    groups: groupsOf.get(user.name) ?? [],
  }));
}

/** A 403 unless `user` is a hub admin; `what` says what only an admin may do. */
export async function assertAdmin(store: AccountStore, user: string, what: string): Promise<void> {
  if ((await store.getUser(user))?.admin) return;
  throw new FuncxError(
    'FUNCX_FORBIDDEN',
    `Only a hub admin may ${what}: ask an admin to do it (with their token, or with "funcx-hub" on the hub's host)`,
  );
}
