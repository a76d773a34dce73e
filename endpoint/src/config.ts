import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FuncxError, type GeoLocation, nameProblem } from '@funcx/protocol';
import { parse, stringify } from 'yaml';
import { endpointPaths } from './paths.js';
import { PROVIDER_KINDS, type ProviderKind } from './providers/provider.js';
import { validateWorkerConfig, WORKER_CONFIG_FIELDS, type WorkerConfig } from './config-workers.js';
import { CONTAINER_CONFIG_FIELDS, validateContainerConfig, type ContainerConfig } from './config-containers.js';
import { BLOCK_CONFIG_FIELDS, validateBlockConfig, type BlockConfig } from './config-blocks.js';
import { DATA_CONFIG_FIELDS, validateDataConfig, type DataConfig } from './config-data.js';
import { SESSION_CONFIG_FIELDS, validateSessionConfig, type SessionConfig } from './config-sessions.js';
import { WASM_CONFIG_FIELDS, validateWasmConfig, type WasmConfig } from './config-wasm.js';

/** `$FUNCX_HOME/endpoints/NAME/config.yaml`. */
export interface EndpointConfig extends WorkerConfig, ContainerConfig, BlockConfig, DataConfig, SessionConfig, WasmConfig {
  name: string;
  endpoint_id: string;
  hub_url: string;
  endpoint_token: string;
  /** Warm Python workers (per node; max_workers_per_node overrides it). */
  workers: number;
  location?: GeoLocation;
  site?: string;
  /** Interpreter the workers run with. */
  python: string;
  provider: ProviderKind;
}

export const DEFAULT_WORKERS = 2;
export const DEFAULT_PYTHON = 'python3';
export const MAX_WORKERS = 1024;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FIELDS = [
  'name',
  'endpoint_id',
  'hub_url',
  'endpoint_token',
  'workers',
  'location',
  'site',
  'python',
  'provider',
  ...WORKER_CONFIG_FIELDS,
  ...CONTAINER_CONFIG_FIELDS,
  ...BLOCK_CONFIG_FIELDS,
  ...DATA_CONFIG_FIELDS,
  ...SESSION_CONFIG_FIELDS,
  ...WASM_CONFIG_FIELDS,
];

function bad(message: string): FuncxError {
  return new FuncxError('FUNCX_BAD_REQUEST', message);
}

/** Throws unless `name` can name an endpoint (and its folder). */
export function validateName(name: string): string {
  const problem = nameProblem('endpoint', name);
  if (problem) throw bad(problem);
  return name;
}

export function validateWorkers(value: unknown, where = 'workers'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_WORKERS) {
    throw bad(`${where} must be a whole number from 1 to ${MAX_WORKERS} (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function validateLocation(value: unknown, where = 'location'): GeoLocation {
  const location = value as Partial<GeoLocation> | null;
  if (typeof location !== 'object' || location === null) throw bad(`${where} must have lat and lon`);
  const { lat, lon } = location;
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw bad(`${where}.lat must be a number from -90 to 90 (got ${JSON.stringify(lat)})`);
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) {
    throw bad(`${where}.lon must be a number from -180 to 180 (got ${JSON.stringify(lon)})`);
  }
  return { lat, lon };
}

/** "LAT,LON" as given to `--location`. */
export function parseLocation(text: string): GeoLocation {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length !== 2 || parts.some((part) => part === '' || Number.isNaN(Number(part)))) {
    throw bad(`--location must be LAT,LON in degrees, e.g. --location 41.71,-87.98 (got "${text}")`);
  }
  return validateLocation({ lat: Number(parts[0]), lon: Number(parts[1]) }, '--location');
}

export function validateHubUrl(value: unknown, where = 'hub_url'): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw bad(`${where} must be the hub's URL, e.g. http://127.0.0.1:8470 (got ${JSON.stringify(value)})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw bad(`${where} must start with http:// or https:// (got ${JSON.stringify(value)})`);
  }
  return String(value).replace(/\/+$/, '');
}

/** Checks a parsed config.yaml; every problem names the field and what to put there. */
export function validateConfig(raw: unknown, source: string): EndpointConfig {
  const fail = (message: string) => bad(`${source}: ${message}`);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('must be a YAML mapping of fields');
  const data = raw as Record<string, unknown>;
  const unknown = Object.keys(data).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) throw fail(`unknown field ${unknown.join(', ')} (known fields: ${FIELDS.join(', ')})`);
  const text = (key: string): string => {
    const value = data[key];
    if (typeof value !== 'string' || value.trim() === '') {
      throw fail(`${key} is missing; run "funcx-endpoint configure NAME" to write it`);
    }
    return value;
  };
  const wrap = <T>(check: () => T): T => {
    try {
      return check();
    } catch (error) {
      throw fail((error as Error).message);
    }
  };
  const name = wrap(() => validateName(text('name')));
  const endpointId = text('endpoint_id');
  if (!UUID_PATTERN.test(endpointId)) throw fail(`endpoint_id must be the UUID the hub gave (got "${endpointId}")`);
  const config: EndpointConfig = {
    name,
    endpoint_id: endpointId,
    hub_url: wrap(() => validateHubUrl(text('hub_url'))),
    endpoint_token: text('endpoint_token'),
    workers: data.workers === undefined ? DEFAULT_WORKERS : wrap(() => validateWorkers(data.workers)),
    python: data.python === undefined ? DEFAULT_PYTHON : text('python'),
    provider: 'local',
  };
  if (data.provider !== undefined) {
    if (!PROVIDER_KINDS.includes(data.provider as ProviderKind)) {
      throw fail(`provider ${JSON.stringify(data.provider)} is not available; use one of: ${PROVIDER_KINDS.join(', ')}`);
    }
    config.provider = data.provider as ProviderKind;
  }
  if (data.location !== undefined && data.location !== null) config.location = wrap(() => validateLocation(data.location));
  if (data.site !== undefined && data.site !== null) {
    if (typeof data.site !== 'string') throw fail('site must be text, e.g. site: "Argonne (laptop)"');
    config.site = data.site;
  }
  Object.assign(config, wrap(() => validateWorkerConfig(data)));
  Object.assign(config, wrap(() => validateBlockConfig(data)));
  Object.assign(config, wrap(() => validateDataConfig(data)));
  Object.assign(config, wrap(() => validateSessionConfig(data)));
  Object.assign(config, wrap(() => validateWasmConfig(data)));
  return Object.assign(config, wrap(() => validateContainerConfig(data, MAX_WORKERS)));
}

export function parseConfig(text: string, source: string): EndpointConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw bad(`${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return validateConfig(raw, source);
}

/** Reads and checks an endpoint's config; a clear error when it was never configured. */
export function readConfig(name: string, env?: NodeJS.ProcessEnv): EndpointConfig {
  validateName(name);
  const path = endpointPaths(name, env).config;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new FuncxError(
      'FUNCX_ENDPOINT_NOT_FOUND',
      `endpoint "${name}" is not configured (no ${path}): run "funcx-endpoint configure ${name}" first`,
    );
  }
  const config = parseConfig(text, path);
  if (config.name !== name) throw bad(`${path}: name is "${config.name}" but the folder is "${name}"; make them match`);
  return config;
}

/** Writes config.yaml readable by its owner only (it holds the endpoint token). */
export function writeConfig(config: EndpointConfig, env?: NodeJS.ProcessEnv): string {
  const path = endpointPaths(config.name, env).config;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const header = '# funcX endpoint configuration (written by funcx-endpoint configure; fields: docs/endpoint.md)\n';
  writeFileSync(path, header + stringify(config), { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}
