import type { CachedFrom, TaskOutput, TaskResult } from '@funcx/protocol';

/** A successful task's result as memoized. */
export interface MemoEntry {
  result: TaskResult;
  outputs: TaskOutput[];
  from: CachedFrom;
  /** Epoch ms after which the entry is not used (the hub's clock). */
  expires_at: number;
}

/** One entry to keep, with its size (what counts against its owner's limit). */
export interface MemoWrite {
  owner: string;
  key: string;
  entry: MemoEntry;
  bytes: number;
}

export interface MemoLimits {
  /** How long an entry is used after its task finished. */
  ttlMs: number;
  /** Bytes of entries kept per user; the oldest go first to make room. */
  userBytes: number;
}

/** What a put did: entries kept, and older ones dropped to make room. */
export interface MemoPutOutcome {
  stored: number;
  evicted: number;
}

/** Memoized results, per user, on the embedded store or on Redis (shared by every hub on it). */
export interface MemoStore {
  /** The entries of these keys of one user, in order (undefined: none, or expired at `now`). */
  get(owner: string, keys: string[], now: number): Promise<(MemoEntry | undefined)[]>;
  /** Keeps entries, dropping each owner's oldest to stay within `userBytes`; an entry larger than that is not kept. */
  put(writes: MemoWrite[], now: number, userBytes: number): Promise<MemoPutOutcome>;
  /** Bytes kept for a user now (expired entries not counted). */
  usage(owner: string, now: number): Promise<number>;
}

export const DEFAULT_MEMO_TTL_MS = 24 * 3600 * 1000;
export const DEFAULT_MEMO_USER_BYTES = 256 * 1024 * 1024;
