import { FuncxError, type ErrorCode } from '@funcx/protocol';

/** What a lookup by name says of the kind of record it looks for. */
export interface NamedKind<T> {
  /** "endpoint", "endpoint group". */
  noun: string;
  plural: string;
  code: ErrorCode;
  /** How the user writes a record of this kind (`name`, `owner/name`, `group:name`). */
  refOf(user: string, record: T): string;
  /** Said when the user can use none: how to make one. */
  noneYet: string;
}

/** Whose record, of what name, `ref` means: `owner/name`, or a bare name of the user's own. */
export function ownerAndName(user: string, ref: string): { owner: string; name: string } {
  const slash = ref.indexOf('/');
  return slash === -1 ? { owner: user, name: ref } : { owner: ref.slice(0, slash), name: ref.slice(slash + 1) };
}

/**
 * The record a user means by `ref`: a name of their own, or `owner/name` for one they may use. A bare name never
 * resolves to someone else's record, so nobody can take over a name another user types: the 404 lists the
 * usable records of that name by their full names, or else every name the user can use.
 */
export function findByName<T extends { owner: string; name: string }>(
  all: readonly T[],
  user: string,
  ref: string,
  canUse: (record: T) => boolean,
  kind: NamedKind<T>,
): T {
  const { owner, name } = ownerAndName(user, ref);
  const match = all.find((record) => record.owner === owner && record.name === name);
  if (match && canUse(match)) return match;
  const usable = all.filter(canUse);
  const sameName = usable.filter((record) => record.name === name && record.owner !== user);
  if (!ref.includes('/') && sameName.length > 0) {
    const candidates = sameName.map((record) => kind.refOf(user, record)).sort();
    throw new FuncxError(
      kind.code,
      `You have no ${kind.noun} named "${name}"; ${candidates.length === 1 ? 'one is' : `${candidates.length} are`} shared with you ` +
        `under that name: use ${candidates.map((candidate) => `"${candidate}"`).join(' or ')}`,
    );
  }
  const names = [...new Set(usable.map((record) => kind.refOf(user, record)))].sort();
  throw new FuncxError(
    kind.code,
    `No ${kind.noun} "${ref}". ` + (names.length > 0 ? `${capitalized(kind.plural)} you can use: ${names.join(', ')}` : kind.noneYet),
  );
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
