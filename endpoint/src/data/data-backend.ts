import type { DataKind } from '@funcx/protocol';

/** What a backend keeps of one value besides its bytes. */
export interface StoredMeta {
  kind: DataKind;
  size: number;
  /** Epoch ms after which the value is not served (the daemon's clock). */
  expires_at: number;
}

/**
 * Where values live: the daemon's memory, a Redis database, a directory. Keys are (user, digest): one user's
 * digest never names another user's value, whatever the backend. Expiry and limits are the DataService's.
 */
export interface DataBackend {
  /** The store's name in references: `endpoint.ID` (this endpoint's alone) or `redis.NAME` (shared). */
  readonly storeName: string;
  meta(user: string, digest: string): Promise<StoredMeta | undefined>;
  write(user: string, digest: string, meta: StoredMeta, bytes: Buffer): Promise<void>;
  /** `length` bytes from `offset` (fewer at the end). */
  read(user: string, digest: string, offset: number, length: number): Promise<Buffer>;
  remove(user: string, digests: string[]): Promise<void>;
  close(): Promise<void>;
}
