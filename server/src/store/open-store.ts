import { MemoryStore } from './memory.js';
import { DEFAULT_RESULT_RETENTION_MS, RedisStore } from './redis.js';
import type { Store } from './store.js';

export interface StoreSpec {
  /** "memory" (the default) or a Redis URL, redis://HOST:PORT/DB. */
  store?: string;
  /** Directory of the embedded store. */
  dataDir?: string;
  /** Journal size at which the embedded store compacts while running. */
  compactAfterBytes?: number;
  /** How long the Redis store keeps finished tasks (0: forever). */
  resultRetentionMs?: number;
  onWarning?: (message: string) => void;
}

/** Checks a --store value; returns a message saying what to change, or undefined when it is usable. */
export function storeSpecError(spec: string): string | undefined {
  if (spec === 'memory') return undefined;
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    return `--store ${spec} is neither "memory" nor a URL: use --store memory or --store redis://HOST:PORT/DB`;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return `--store ${spec}: only redis:// (or rediss://) URLs are supported, e.g. redis://127.0.0.1:6379/0`;
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) return `--store ${spec}: the database after the port must be a number, e.g. redis://127.0.0.1:6379/0`;
  return undefined;
}

export function isRedisSpec(spec: string | undefined): spec is string {
  return spec !== undefined && spec !== 'memory';
}

/** Opens the store a hub was told to use. */
export async function openStore(spec: StoreSpec): Promise<Store> {
  const kind = spec.store ?? 'memory';
  const error = storeSpecError(kind);
  if (error) throw new Error(error);
  if (!isRedisSpec(kind)) return MemoryStore.open({ dataDir: spec.dataDir, compactAfterBytes: spec.compactAfterBytes, onWarning: spec.onWarning });
  try {
    return await RedisStore.open({
      url: kind,
      resultRetentionMs: spec.resultRetentionMs ?? DEFAULT_RESULT_RETENTION_MS,
      onWarning: spec.onWarning,
    });
  } catch (error) {
    throw new Error(`could not connect to Redis at ${kind} (${(error as Error).message}): check that redis-server runs there`);
  }
}

/** The store as the hub may show it (the health route, logs): a Redis URL without its password. */
export function describeStore(spec: string | undefined): string {
  if (!isRedisSpec(spec)) return 'memory';
  try {
    const url = new URL(spec);
    url.password = '';
    url.username = '';
    return url.href;
  } catch {
    return 'redis';
  }
}
