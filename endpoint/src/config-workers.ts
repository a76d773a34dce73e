import { MAX_RESULT_BYTES } from '@funcx/protocol';
import { SANDBOX_SETTINGS, type SandboxSetting } from './runtimes/index.js';
import type { TaskLimits } from './manager.js';
import type { WorkerRlimits } from './worker-launch.js';

/** config.yaml `limits`: a number, or `unlimited`. */
export interface LimitsConfig {
  memory_mb?: number | 'unlimited';
  processes?: number | 'unlimited';
  cpu_s?: number | 'unlimited';
  output_bytes?: number | 'unlimited';
}

/** The fields of config.yaml that say how workers run (see docs/endpoint.md). */
export interface WorkerConfig {
  /** Every user of the hub may run tasks here (set by `configure --public`). */
  public?: boolean;
  sandbox?: SandboxSetting;
  sandbox_network?: boolean;
  worker_env?: { [name: string]: string };
  env_passthrough?: string[];
  limits?: LimitsConfig;
  allowed_functions?: string[];
}

export const WORKER_CONFIG_FIELDS = [
  'public',
  'sandbox',
  'sandbox_network',
  'worker_env',
  'env_passthrough',
  'limits',
  'allowed_functions',
];

export const DEFAULT_LIMITS = {
  memory_mb: 4096,
  processes: 256,
  cpu_s: 'unlimited',
  output_bytes: MAX_RESULT_BYTES,
} as const satisfies Required<LimitsConfig>;

const LIMIT_FIELDS = Object.keys(DEFAULT_LIMITS) as (keyof LimitsConfig)[];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkEnvName(name: string, where: string): void {
  if (!ENV_NAME.test(name)) throw new Error(`${where}: "${name}" is not a variable name (letters, digits and _)`);
  if (name.toUpperCase().startsWith('FUNCX_')) {
    throw new Error(`${where}: ${name}: variables named FUNCX_* belong to the endpoint and are never given to workers`);
  }
}

function validateLimits(raw: unknown): LimitsConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`limits must be a mapping, e.g. limits: { memory_mb: 4096, processes: 256, cpu_s: 3600 }`);
  }
  const limits: LimitsConfig = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!LIMIT_FIELDS.includes(key as keyof LimitsConfig)) {
      throw new Error(`limits.${key} is not a limit (known: ${LIMIT_FIELDS.join(', ')})`);
    }
    if (value !== 'unlimited' && !(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new Error(`limits.${key} must be a positive number or "unlimited" (got ${JSON.stringify(value)})`);
    }
    limits[key as keyof LimitsConfig] = value as number | 'unlimited';
  }
  return limits;
}

/** Checks the worker fields of a parsed config.yaml; each problem names the field and what to put there. */
export function validateWorkerConfig(data: Record<string, unknown>): WorkerConfig {
  const config: WorkerConfig = {};
  if (data.public !== undefined) {
    if (typeof data.public !== 'boolean') throw new Error('public must be true or false');
    config.public = data.public;
  }
  if (data.sandbox !== undefined) {
    if (!SANDBOX_SETTINGS.includes(data.sandbox as SandboxSetting)) {
      throw new Error(`sandbox must be one of ${SANDBOX_SETTINGS.join(', ')} (got ${JSON.stringify(data.sandbox)})`);
    }
    config.sandbox = data.sandbox as SandboxSetting;
  }
  if (data.sandbox_network !== undefined) {
    if (typeof data.sandbox_network !== 'boolean') throw new Error('sandbox_network must be true or false');
    config.sandbox_network = data.sandbox_network;
  }
  if (data.worker_env !== undefined) {
    const env = data.worker_env;
    if (typeof env !== 'object' || env === null || Array.isArray(env)) {
      throw new Error('worker_env must be a mapping of variable names to values, e.g. worker_env: { OMP_NUM_THREADS: "1" }');
    }
    config.worker_env = {};
    for (const [name, value] of Object.entries(env)) {
      checkEnvName(name, 'worker_env');
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw new Error(`worker_env.${name} must be text or a number`);
      config.worker_env[name] = String(value);
    }
  }
  if (data.env_passthrough !== undefined) {
    const names = data.env_passthrough;
    if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) {
      throw new Error('env_passthrough must be a list of variable names, e.g. env_passthrough: [CUDA_VISIBLE_DEVICES]');
    }
    for (const name of names as string[]) checkEnvName(name, 'env_passthrough');
    config.env_passthrough = names as string[];
  }
  if (data.limits !== undefined) config.limits = validateLimits(data.limits);
  if (data.allowed_functions !== undefined) {
    const ids = data.allowed_functions;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !UUID_PATTERN.test(id))) {
      throw new Error('allowed_functions must be a list of function ids (UUIDs), e.g. allowed_functions: [<function id>]');
    }
    config.allowed_functions = ids as string[];
  }
  return config;
}

/** The limits in force: the config's, else the defaults; undefined where unlimited. */
export function resolveLimits(config: LimitsConfig = {}): { task: TaskLimits; rlimits: WorkerRlimits } {
  const get = (key: keyof LimitsConfig): number | undefined => {
    const value = config[key] ?? DEFAULT_LIMITS[key];
    return value === 'unlimited' ? undefined : value;
  };
  const memoryMb = get('memory_mb');
  const processes = get('processes');
  return {
    task: { cpuSeconds: get('cpu_s'), processes, outputBytes: get('output_bytes') },
    rlimits: { memoryMb: memoryMb === undefined ? undefined : Math.ceil(memoryMb), processes: processes === undefined ? undefined : Math.ceil(processes) },
  };
}
