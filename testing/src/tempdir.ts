import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created = new Set<string>();

/** A fresh directory under the system temp dir, removed by `removeTempDirs()`. */
export function makeTempDir(prefix = 'funcx-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.add(dir);
  return dir;
}

/** A directory some process creates (a daemon's worker scratch root), removed by `removeTempDirs()` too. */
export function removeLater(dir: string): void {
  created.add(dir);
}

export function removeTempDirs(): void {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
  created.clear();
}
