import type { AccountStore } from '../store/store.js';

/** How often a hub reloads who is in which group (changes made through this hub are seen at once). */
export const GROUP_REFRESH_MS = 2_000;

const NO_GROUPS: ReadonlySet<string> = new Set();

/** What a reload found: groups that no longer exist, and users who left groups that still do. */
export interface MembershipChange {
  deletedGroups: string[];
  /** user → groups they were in and are not any more (deleted groups included). */
  left: Map<string, string[]>;
}

/**
 * Who is in which group, as a snapshot in memory: access checks on every request look membership up here, not in
 * the store. Reloaded every GROUP_REFRESH_MS (groups changed by the CLI or by another hub on the same Redis) and
 * right after a change through this hub.
 */
export class GroupMembership {
  private groupsByUser = new Map<string, Set<string>>();
  private membersByGroup = new Map<string, string[]>();
  /** Groups seen to exist: in the last snapshot, or checked since (a group created and deleted between two reloads). */
  private readonly known = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private again = false;
  private readonly listeners = new Set<(change: MembershipChange) => void>();

  constructor(
    private readonly store: AccountStore,
    private readonly onError: (error: unknown) => void,
  ) {}

  groupsOf(user: string): ReadonlySet<string> {
    return this.groupsByUser.get(user) ?? NO_GROUPS;
  }

  /** Whether `user` is in any of these groups. */
  inAny(user: string, groups: readonly string[]): boolean {
    const mine = this.groupsByUser.get(user);
    if (!mine) return false;
    for (const group of groups) if (mine.has(group)) return true;
    return false;
  }

  /** These groups were just seen in the store: if the next reload misses them, they were deleted. */
  noteExisting(groups: readonly string[]): void {
    for (const group of groups) this.known.add(group);
  }

  exists(group: string): boolean {
    return this.membersByGroup.has(group);
  }

  membersOf(group: string): readonly string[] {
    return this.membersByGroup.get(group) ?? [];
  }

  onChange(listener: (change: MembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reloads from the store; a reload asked for while one runs makes one more run after it. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        this.refresh().catch(this.onError);
      }
    });
    return this.loading;
  }

  start(intervalMs = GROUP_REFRESH_MS): void {
    this.stop();
    this.timer = setInterval(() => this.refresh().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async load(): Promise<void> {
    const groups = await this.store.listGroups();
    const groupsByUser = new Map<string, Set<string>>();
    const membersByGroup = new Map<string, string[]>();
    for (const group of groups) {
      membersByGroup.set(group.name, group.members);
      for (const member of group.members) {
        let mine = groupsByUser.get(member);
        if (!mine) groupsByUser.set(member, (mine = new Set()));
        mine.add(group.name);
      }
    }
    const change: MembershipChange = {
      deletedGroups: [...this.known].filter((name) => !membersByGroup.has(name)),
      left: new Map(),
    };
    for (const [user, before] of this.groupsByUser) {
      const now = groupsByUser.get(user);
      const gone = [...before].filter((group) => !now?.has(group));
      if (gone.length > 0) change.left.set(user, gone);
    }
    this.groupsByUser = groupsByUser;
    this.membersByGroup = membersByGroup;
    this.known.clear();
    for (const name of membersByGroup.keys()) this.known.add(name);
    if (change.deletedGroups.length === 0 && change.left.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
