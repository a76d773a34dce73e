import { createClient, RESP_TYPES, type RedisClientType } from 'redis';
import type { DataBackend, StoredMeta } from './data-backend.js';

/** Redis frees a value this long after the daemon stops serving it (expiry is decided by the daemon's clock). */
const EXPIRY_MARGIN_MS = 60_000;

/**
 * Values in a Redis database, shared by every endpoint configured with the same store name and URL: keys
 * `funcx-data:NAME:USER:DIGEST` (the bytes) and `…:m` (their kind, size and expiry), both with Redis's expiry.
 */
export class RedisBackend implements DataBackend {
  readonly storeName: string;

  private constructor(
    private readonly client: RedisClientType,
    private readonly name: string,
  ) {
    this.storeName = `redis.${name}`;
  }

  static async open(url: string, name: string, onWarning: (message: string) => void): Promise<RedisBackend> {
    const client = createClient({ url, socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000), connectTimeout: 5_000 } });
    let lastWarning = 0;
    client.on('error', (error: Error) => {
      if (Date.now() - lastWarning < 5_000) return;
      lastWarning = Date.now();
      onWarning(`data store redis at ${url}: ${error.message} (retrying)`);
    });
    await client.connect();
    return new RedisBackend(client as unknown as RedisClientType, name);
  }

  private key(user: string, digest: string): string {
    return `funcx-data:${this.name}:${encodeURIComponent(user)}:${digest}`;
  }

  async meta(user: string, digest: string): Promise<StoredMeta | undefined> {
    const text = await this.client.get(`${this.key(user, digest)}:m`);
    return text === null ? undefined : (JSON.parse(text) as StoredMeta);
  }

  async write(user: string, digest: string, meta: StoredMeta, bytes: Buffer): Promise<void> {
    const key = this.key(user, digest);
    const px = Math.max(1, Math.ceil(meta.expires_at - Date.now())) + EXPIRY_MARGIN_MS;
    await this.client.multi().set(key, bytes, { PX: px }).set(`${key}:m`, JSON.stringify(meta), { PX: px }).exec();
  }

  async read(user: string, digest: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const binary = this.client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    return (await binary.getRange(this.key(user, digest), offset, offset + length - 1)) as unknown as Buffer;
  }

  async remove(user: string, digests: string[]): Promise<void> {
    if (digests.length === 0) return;
    await this.client.del(digests.flatMap((digest) => [this.key(user, digest), `${this.key(user, digest)}:m`]));
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
