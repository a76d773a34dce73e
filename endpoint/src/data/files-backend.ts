import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataBackend, StoredMeta } from './data-backend.js';

/**
 * Values as plain files in a directory (a shared file system, the baseline): DIR/USERHASH/DIGEST and its
 * DIGEST.json. Written to a temporary name and renamed, so a reader never sees half a value.
 */
export class FilesBackend implements DataBackend {
  constructor(
    readonly storeName: string,
    private readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private folder(user: string): string {
    return join(this.dir, createHash('sha256').update(user).digest('hex').slice(0, 32));
  }

  async meta(user: string, digest: string): Promise<StoredMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.folder(user), `${digest}.json`), 'utf8')) as StoredMeta;
    } catch {
      return undefined;
    }
  }

  async write(user: string, digest: string, meta: StoredMeta, bytes: Buffer): Promise<void> {
    const folder = this.folder(user);
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temp = join(folder, `.${digest}.${randomBytes(6).toString('hex')}`);
    await writeFile(temp, bytes, { mode: 0o600 });
    await rename(temp, join(folder, digest));
    await writeFile(`${temp}.json`, JSON.stringify(meta), { mode: 0o600 });
    await rename(`${temp}.json`, join(folder, `${digest}.json`));
  }

  async read(user: string, digest: string, offset: number, length: number): Promise<Buffer> {
    const file = await open(join(this.folder(user), digest), 'r');
    try {
      const buffer = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await file.read(buffer, filled, length - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } finally {
      await file.close();
    }
  }

  async remove(user: string, digests: string[]): Promise<void> {
    const folder = this.folder(user);
    await Promise.all(digests.flatMap((digest) => [rm(join(folder, digest), { force: true }), rm(join(folder, `${digest}.json`), { force: true })]));
  }

  async close(): Promise<void> {}
}
