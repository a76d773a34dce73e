/** The endpoint's data store in config.yaml: where values passed by reference live, and for how long. */

export type DataBackendKind = 'memory' | 'redis' | 'files';

export interface DataStoreConfig {
  /** `memory` (the daemon's, the default), `redis` (url; shared by endpoints with the same name), `files` (dir). */
  backend?: DataBackendKind;
  /** redis://HOST:PORT/DB, for backend redis. */
  url?: string;
  /** The shared store's name in references (backend redis; default "default"). */
  name?: string;
  /** The directory of backend files (a shared file system for several nodes). */
  dir?: string;
  /** Seconds a value is served after it was written (default a day). */
  ttl_s?: number;
  /** Bytes each user may keep at once (default 4 GiB). */
  user_bytes?: number;
  /** A result whose reply is larger than this is stored and returned as a reference (default 8 MiB; 0: never). */
  result_threshold_bytes?: number;
  /** Port of the data server (default: any free one), on manager_address. */
  port?: number;
}

export interface DataConfig {
  data_store?: DataStoreConfig | false;
}

export const DATA_CONFIG_FIELDS = ['data_store'];
export const DEFAULT_DATA_TTL_S = 24 * 3600;
export const DEFAULT_DATA_USER_BYTES = 4 * 1024 ** 3;
/** Below the 10 MiB result limit, so a result that would fail for its size comes back as a reference instead. */
export const DEFAULT_RESULT_THRESHOLD_BYTES = 8 * 1024 * 1024;
const BACKENDS: DataBackendKind[] = ['memory', 'redis', 'files'];
const KNOWN = ['backend', 'url', 'name', 'dir', 'ttl_s', 'user_bytes', 'result_threshold_bytes', 'port'];

/** Checks `data_store` (absent: the memory store with its defaults; `false`: no data store). */
export function validateDataConfig(data: Record<string, unknown>): DataConfig {
  const raw = data.data_store;
  if (raw === undefined || raw === null) return {};
  if (raw === false) return { data_store: false };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new Error('data_store must be a mapping, e.g. data_store: {backend: redis, url: "redis://127.0.0.1:6379/0"}, or false for none');
  }
  const store = raw as Record<string, unknown>;
  const unknown = Object.keys(store).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw new Error(`data_store.${unknown[0]} is not a setting (known: ${KNOWN.join(', ')})`);
  const config: DataStoreConfig = {};
  if (store.backend !== undefined) {
    if (!BACKENDS.includes(store.backend as DataBackendKind)) throw new Error(`data_store.backend must be one of ${BACKENDS.join(', ')} (got ${JSON.stringify(store.backend)})`);
    config.backend = store.backend as DataBackendKind;
  }
  if (store.url !== undefined) {
    if (typeof store.url !== 'string' || !/^rediss?:\/\/[^/]+(\/\d+)?$/.test(store.url)) throw new Error(`data_store.url must be redis://HOST:PORT/DB (got ${JSON.stringify(store.url)})`);
    config.url = store.url;
  }
  if (store.name !== undefined) {
    if (typeof store.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(store.name)) throw new Error('data_store.name must be 1 to 64 letters, digits, "_", "." or "-"');
    config.name = store.name;
  }
  if (store.dir !== undefined) {
    if (typeof store.dir !== 'string' || !store.dir.startsWith('/')) throw new Error(`data_store.dir must be an absolute path (got ${JSON.stringify(store.dir)})`);
    config.dir = store.dir;
  }
  const whole = (key: 'ttl_s' | 'user_bytes' | 'result_threshold_bytes' | 'port', min: number, max: number) => {
    const value = store[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw new Error(`data_store.${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
    config[key] = value;
  };
  whole('ttl_s', 1, 365 * 24 * 3600);
  whole('user_bytes', 1, Number.MAX_SAFE_INTEGER);
  whole('result_threshold_bytes', 0, 10 * 1024 * 1024);
  whole('port', 0, 65535);
  const backend = config.backend ?? 'memory';
  if (backend === 'redis' && !config.url) throw new Error('data_store.backend redis needs data_store.url, e.g. url: "redis://127.0.0.1:6379/0"');
  if (backend === 'files' && !config.dir) throw new Error('data_store.backend files needs data_store.dir, an absolute path (a shared file system for several nodes)');
  if (backend !== 'redis' && (config.url || config.name)) throw new Error('data_store.url and data_store.name are for backend redis');
  if (backend !== 'files' && config.dir) throw new Error('data_store.dir is for backend files');
  return { data_store: config };
}
