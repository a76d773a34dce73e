import type { DataBackend, StoredMeta } from './data-backend.js';

/** Values in the daemon's memory: shared by every worker of the endpoint, gone when the daemon stops. */
export class MemoryBackend implements DataBackend {
  private readonly values = new Map<string, { meta: StoredMeta; bytes: Buffer }>();

  constructor(readonly storeName: string) {}

  async meta(user: string, digest: string): Promise<StoredMeta | undefined> {
    return this.values.get(`${user}\0${digest}`)?.meta;
  }

  async write(user: string, digest: string, meta: StoredMeta, bytes: Buffer): Promise<void> {
    this.values.set(`${user}\0${digest}`, { meta, bytes });
  }

  async read(user: string, digest: string, offset: number, length: number): Promise<Buffer> {
    const value = this.values.get(`${user}\0${digest}`);
    if (!value) throw new Error('gone');
    return value.bytes.subarray(offset, offset + length);
  }

  async remove(user: string, digests: string[]): Promise<void> {
    for (const digest of digests) this.values.delete(`${user}\0${digest}`);
  }

  async close(): Promise<void> {
    this.values.clear();
  }
}
