/** How long this hub keeps hearing a user's events after the last of their clients here went (a notebook that reconnects finds them still heard). */
export const DEFAULT_LINGER_MS = 30_000;

/** What is told when this hub starts or stops wanting a user's task events from the other hubs. */
export interface InterestWatcher {
  /** Resolves once the user's events published by other hubs from now on reach this hub. */
  gained(user: string): Promise<void>;
  lost(user: string): void;
}

/**
 * The users with clients on this hub: client sockets, event streams, flow steps waiting on a task. With several
 * hubs on one Redis a hub hears the other hubs' task events of these users only, so the work of each hub grows
 * with its own clients' tasks, not with everyone's.
 */
export class LocalInterest {
  private readonly holders = new Map<string, number>();
  /** Users whose events are asked for, each with the promise that they arrive. */
  private readonly asked = new Map<string, Promise<void>>();
  private readonly lingering = new Map<string, NodeJS.Timeout>();
  private watcher: InterestWatcher | undefined;

  constructor(private readonly lingerMs = DEFAULT_LINGER_MS) {}

  /**
   * Resolves once the user's events from other hubs reach this hub, and keeps them coming for a while: call it
   * before reading what a new client should see, then `acquire` when the client is there.
   */
  ready(user: string): Promise<void> {
    const asked = this.ask(user);
    if (!this.holders.has(user)) this.linger(user);
    return asked;
  }

  /** A client of the user is here until `release`. */
  acquire(user: string): void {
    this.holders.set(user, (this.holders.get(user) ?? 0) + 1);
    clearTimeout(this.lingering.get(user));
    this.lingering.delete(user);
    void this.ask(user);
  }

  release(user: string): void {
    const holders = this.holders.get(user);
    if (holders === undefined) return;
    if (holders > 1) {
      this.holders.set(user, holders - 1);
      return;
    }
    this.holders.delete(user);
    this.linger(user);
  }

  /** The users whose events this hub wants now. */
  users(): string[] {
    return [...this.asked.keys()];
  }

  /** From now on `watcher` hears of every user wanted, starting with those wanted already. */
  watch(watcher: InterestWatcher | undefined): void {
    this.watcher = watcher;
    const users = this.users();
    this.asked.clear();
    for (const user of users) void this.ask(user);
  }

  close(): void {
    for (const timer of this.lingering.values()) clearTimeout(timer);
    this.lingering.clear();
  }

  private ask(user: string): Promise<void> {
    let asked = this.asked.get(user);
    if (!asked) this.asked.set(user, (asked = this.watcher ? this.watcher.gained(user) : Promise.resolve()));
    return asked;
  }

  private linger(user: string): void {
    clearTimeout(this.lingering.get(user));
    const timer = setTimeout(() => {
      this.lingering.delete(user);
      if (this.holders.has(user) || !this.asked.delete(user)) return;
      this.watcher?.lost(user);
    }, this.lingerMs);
    timer.unref();
    this.lingering.set(user, timer);
  }
}
