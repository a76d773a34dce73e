import { dataUrl, formatBytes, isDigest, parseDataUrl, type DataErrorCode, type DataKind, type DataReference } from '@funcx/protocol';
import type { DataBackend, StoredMeta } from './data-backend.js';

export class DataError extends Error {
  constructor(
    readonly code: DataErrorCode,
    message: string,
    /** The connection cannot be read on (bytes of unknown length may follow): it is closed after the reply. */
    readonly fatal = false,
  ) {
    super(message);
  }
}

export interface DataLimits {
  /** How long a value is served after it was written (or written again). */
  ttlMs: number;
  /** Bytes one user may keep at once. */
  userBytes: number;
}

/** A read: the value's kind and whole size, and the bytes asked for. */
export interface DataRead {
  ref: DataReference;
  kind: DataKind;
  total: number;
  bytes: Buffer;
}

/**
 * One endpoint's data store: values written once by digest, per user, served until their time to live ends,
 * within a per-user limit (a put that does not fit is refused, never made room for by dropping another value:
 * that value may be what a running task is about to read). What this daemon wrote is indexed here; a value
 * another daemon wrote to a shared backend is served by what the backend says of it.
 */
export class DataService {
  private readonly index = new Map<string, Map<string, StoredMeta>>();

  constructor(
    private readonly backend: DataBackend,
    private readonly endpointId: string,
    readonly limits: DataLimits,
    private readonly clock: () => number = () => Date.now(),
  ) {}

  get storeName(): string {
    return this.backend.storeName;
  }

  private ref(digest: string, meta: StoredMeta): DataReference {
    return { $ref: dataUrl(this.backend.storeName, digest), size: meta.size, digest: `sha256:${digest}`, kind: meta.kind, endpoint_id: this.endpointId };
  }

  private entries(user: string): Map<string, StoredMeta> {
    let entries = this.index.get(user);
    if (!entries) this.index.set(user, (entries = new Map()));
    return entries;
  }

  /** Forgets (and deletes) a user's expired values; returns the bytes the rest take. */
  private async sweep(user: string): Promise<number> {
    const now = this.clock();
    const entries = this.entries(user);
    const expired: string[] = [];
    let bytes = 0;
    for (const [digest, meta] of entries) {
      if (meta.expires_at <= now) expired.push(digest);
      else bytes += meta.size;
    }
    for (const digest of expired) entries.delete(digest);
    if (expired.length > 0) await this.backend.remove(user, expired);
    return bytes;
  }

  /** Forgets every user's expired values (the daemon runs it every minute, so memory is given back). */
  async sweepAll(): Promise<void> {
    for (const user of [...this.index.keys()]) {
      await this.sweep(user);
      if (this.index.get(user)?.size === 0) this.index.delete(user);
    }
  }

  /** Bytes a user keeps now. */
  usage(user: string): Promise<number> {
    return this.sweep(user);
  }

  /** The reference of a live value of this user, if the store holds it (a put of it need not send it again). */
  async existing(user: string, digest: string): Promise<DataReference | undefined> {
    const meta = await this.liveMeta(user, digest);
    if (!meta) return undefined;
    // Written again: it lives on from now.
    meta.expires_at = this.clock() + this.limits.ttlMs;
    const entries = this.entries(user);
    if (entries.has(digest)) entries.set(digest, meta);
    return this.ref(digest, meta);
  }

  /** Checks a put before its bytes travel: the digest's form, and that the value fits the user's limit. */
  async admit(user: string, kind: unknown, digest: unknown, size: unknown): Promise<void> {
    checkKind(kind);
    if (!isDigest(digest)) throw new DataError('bad_request', 'digest must be the sha256 of the value, 64 lowercase hex digits');
    await this.admitSize(user, kind, size);
  }

  /** As admit, before the digest is known: the kind, and whether a value of this size fits the user's share. */
  async admitSize(user: string, kind: unknown, size: unknown): Promise<void> {
    checkKind(kind);
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new DataError('bad_request', 'size must be the number of bytes that follow');
    const used = await this.sweep(user);
    if (used + size > this.limits.userBytes) {
      throw new DataError(
        'too_large',
        `the data store keeps at most ${formatBytes(this.limits.userBytes)} per user (data_store.user_bytes) and holds ${formatBytes(used)} of yours: ` +
          `a value of ${formatBytes(size)} does not fit; wait for older values to expire (data_store.ttl_s) or ask the endpoint's owner for more`,
      );
    }
  }

  /**
   * Stores a value once checked by admit(). The digest is the writer's (hashing 100 MB again costs as much as
   * moving it): each user's values are that user's alone, so a wrong one mislabels only the writer's own value.
   */
  async put(user: string, kind: DataKind, digest: string, bytes: Buffer): Promise<DataReference> {
    const meta: StoredMeta = { kind, size: bytes.length, expires_at: this.clock() + this.limits.ttlMs };
    await this.backend.write(user, digest, meta, bytes);
    this.entries(user).set(digest, meta);
    return this.ref(digest, meta);
  }

  /** Reads a user's value by its funcx-data:// URL: `length` bytes from `offset` (all of it by default). */
  async read(user: string, url: unknown, offset = 0, length?: number): Promise<DataRead> {
    const { digest, meta } = await this.resolve(user, url);
    if (!Number.isInteger(offset) || offset < 0 || offset > meta.size) throw new DataError('bad_request', `offset must be from 0 to ${meta.size}`);
    const want = Math.min(length ?? meta.size, meta.size - offset);
    if (!Number.isInteger(want) || want < 0) throw new DataError('bad_request', 'length must be a whole number of bytes');
    let bytes: Buffer;
    try {
      bytes = await this.backend.read(user, digest, offset, want);
    } catch {
      throw this.notFound(digest);
    }
    return { ref: this.ref(digest, meta), kind: meta.kind, total: meta.size, bytes };
  }

  async stat(user: string, url: unknown): Promise<DataReference> {
    const { digest, meta } = await this.resolve(user, url);
    return this.ref(digest, meta);
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  private async resolve(user: string, url: unknown): Promise<{ digest: string; meta: StoredMeta }> {
    const parsed = typeof url === 'string' ? parseDataUrl(url) : undefined;
    if (!parsed) throw new DataError('bad_request', `a data reference is funcx-data://STORE/DIGEST (got ${JSON.stringify(url)?.slice(0, 200)})`);
    if (parsed.store !== this.backend.storeName) {
      throw new DataError(
        'wrong_store',
        `the reference is in store ${parsed.store}, and this endpoint's data store is ${this.backend.storeName}: run the task on the endpoint that wrote it (its endpoint_id), or give both endpoints the same Redis data_store`,
      );
    }
    const meta = await this.liveMeta(user, parsed.digest);
    if (!meta) throw this.notFound(parsed.digest);
    return { digest: parsed.digest, meta };
  }

  private async liveMeta(user: string, digest: string): Promise<StoredMeta | undefined> {
    const meta = this.index.get(user)?.get(digest) ?? (await this.backend.meta(user, digest));
    if (!meta) return undefined;
    if (meta.expires_at <= this.clock()) {
      this.index.get(user)?.delete(digest);
      await this.backend.remove(user, [digest]);
      return undefined;
    }
    return meta;
  }

  private notFound(digest: string): DataError {
    // The same words whether it expired, never was, or is another user's: a guess learns nothing.
    return new DataError(
      'not_found',
      `no value ${digest.slice(0, 12)}… of yours in data store ${this.backend.storeName}: it expired (data_store.ttl_s), was never written, or is not yours (references are per user)`,
    );
  }
}

function checkKind(kind: unknown): void {
  if (kind !== 'bytes' && kind !== 'pickle') throw new DataError('bad_request', `kind must be "bytes" or "pickle" (got ${JSON.stringify(kind)})`);
}
