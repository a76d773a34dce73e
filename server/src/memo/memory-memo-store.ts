import type { MemoEntry, MemoPutOutcome, MemoStore, MemoWrite } from './memo-store.js';

interface Kept {
  entry: MemoEntry;
  bytes: number;
}

/**
 * Memoized results in the hub's memory (the embedded store). Not persisted: a restarted hub runs each memoized
 * call once more, which costs time but never gives a wrong answer. Per user, oldest first (a Map keeps order).
 */
export class MemoryMemoStore implements MemoStore {
  private readonly users = new Map<string, { entries: Map<string, Kept>; bytes: number }>();

  async get(owner: string, keys: string[], now: number): Promise<(MemoEntry | undefined)[]> {
    const user = this.users.get(owner);
    if (!user) return keys.map(() => undefined);
    return keys.map((key) => {
      const kept = user.entries.get(key);
      if (!kept) return undefined;
      if (kept.entry.expires_at <= now) {
        user.entries.delete(key);
        user.bytes -= kept.bytes;
        return undefined;
      }
      return kept.entry;
    });
  }

  async put(writes: MemoWrite[], now: number, userBytes: number): Promise<MemoPutOutcome> {
    let stored = 0;
    let evicted = 0;
    for (const write of writes) {
      if (write.bytes > userBytes) continue;
      let user = this.users.get(write.owner);
      if (!user) this.users.set(write.owner, (user = { entries: new Map(), bytes: 0 }));
      const previous = user.entries.get(write.key);
      if (previous) {
        user.entries.delete(write.key);
        user.bytes -= previous.bytes;
      }
      for (const [key, kept] of user.entries) {
        if (kept.entry.expires_at > now && user.bytes + write.bytes <= userBytes) break;
        user.entries.delete(key);
        user.bytes -= kept.bytes;
        if (kept.entry.expires_at > now) evicted++;
      }
      user.entries.set(write.key, { entry: write.entry, bytes: write.bytes });
      user.bytes += write.bytes;
      stored++;
    }
    return { stored, evicted };
  }

  async usage(owner: string, now: number): Promise<number> {
    const user = this.users.get(owner);
    if (!user) return 0;
    let bytes = 0;
    for (const kept of user.entries.values()) if (kept.entry.expires_at > now) bytes += kept.bytes;
    return bytes;
  }
}
