/** The fields of config.yaml that say where blocks come from and how many (see docs/clusters.md). */

export const LAUNCHERS = ['srun', 'mpiexec', 'plain'] as const;
export type Launcher = (typeof LAUNCHERS)[number];

export interface SlurmConfig {
  partition?: string;
  account?: string;
  qos?: string;
  /** HH:MM:SS (or D-HH:MM:SS), as sbatch's --time takes it. */
  walltime?: string;
  /** Lines added to the script's `#SBATCH` header as they are, e.g. "#SBATCH --constraint=gpu". */
  scheduler_options?: string;
  /** How the managers of a block's nodes start: srun (one per node) or plain (one, on the first node). */
  launcher?: Launcher;
  exclusive?: boolean;
}

export interface PbsConfig {
  queue?: string;
  account?: string;
  walltime?: string;
  /** Added to `-l select=N:...`, e.g. "ncpus=64:ngpus=4". */
  select_options?: string;
  scheduler_options?: string;
  /** mpiexec (one manager per node of $PBS_NODEFILE) or plain. */
  launcher?: Launcher;
}

export interface KubernetesConfig {
  /** The image of each pod: it must have node (20+) and python3, and this project's endpoint package. */
  image?: string;
  namespace?: string;
  cpu_request?: string;
  cpu_limit?: string;
  memory_request?: string;
  memory_limit?: string;
  service_account?: string;
  /** Where the endpoint package is inside the image (default /opt/funcx/endpoint). */
  endpoint_dir?: string;
}

export interface BlockConfig {
  init_blocks?: number;
  min_blocks?: number;
  max_blocks?: number;
  nodes_per_block?: number;
  /** Seconds a block may idle before it is scaled in (above min_blocks). */
  max_idletime?: number;
  /** Seconds before a block's walltime ends at which it stops taking tasks. */
  drain_period?: number;
  /** How often the strategy looks at the queue and the blocks, in seconds. */
  strategy_period?: number;
  max_workers_per_node?: number;
  cores_per_worker?: number;
  /** Accelerator ids; each worker is pinned to one (CUDA_VISIBLE_DEVICES and the like). */
  available_accelerators?: string[];
  /** Shell lines run in each block before its managers start (module load, conda activate, ...). */
  worker_init?: string;
  /** Tasks a manager holds beyond one per worker. */
  prefetch_capacity?: number;
  /** How many times a task whose block or manager was lost under it is run again before it fails. */
  max_retries_on_system_failure?: number;
  /** The address the daemon listens on for its managers (a block's nodes must reach it), and its port (0: any). */
  manager_address?: string;
  manager_port?: number;
  /** How an MPI task's ranks start: mpiexec or srun, with these options before the program. */
  mpi_launcher?: 'mpiexec' | 'srun';
  mpi_launcher_options?: string[];
  slurm?: SlurmConfig;
  pbs?: PbsConfig;
  kubernetes?: KubernetesConfig;
}

export const BLOCK_CONFIG_FIELDS = [
  'init_blocks',
  'min_blocks',
  'max_blocks',
  'nodes_per_block',
  'max_idletime',
  'drain_period',
  'strategy_period',
  'max_workers_per_node',
  'cores_per_worker',
  'available_accelerators',
  'worker_init',
  'prefetch_capacity',
  'max_retries_on_system_failure',
  'manager_address',
  'manager_port',
  'mpi_launcher',
  'mpi_launcher_options',
  'slurm',
  'pbs',
  'kubernetes',
];

export const DEFAULT_MAX_IDLETIME_S = 120;
export const DEFAULT_MAX_RETRIES_ON_SYSTEM_FAILURE = 3;
export const DEFAULT_STRATEGY_PERIOD_S = 1;
export const DEFAULT_MANAGER_ADDRESS = '127.0.0.1';
const MAX_BLOCKS = 10_000;

const SECTION_FIELDS: Record<'slurm' | 'pbs' | 'kubernetes', Record<string, 'text' | 'launcher' | 'boolean'>> = {
  slurm: { partition: 'text', account: 'text', qos: 'text', walltime: 'text', scheduler_options: 'text', launcher: 'launcher', exclusive: 'boolean' },
  pbs: { queue: 'text', account: 'text', walltime: 'text', select_options: 'text', scheduler_options: 'text', launcher: 'launcher' },
  kubernetes: {
    image: 'text',
    namespace: 'text',
    cpu_request: 'text',
    cpu_limit: 'text',
    memory_request: 'text',
    memory_limit: 'text',
    service_account: 'text',
    endpoint_dir: 'text',
  },
};

const WALLTIME = /^(\d+-)?\d{1,3}:\d{2}:\d{2}$/;

function count(data: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const value = data[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${key} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function seconds(data: Record<string, unknown>, key: string): number | undefined {
  const value = data[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`${key} must be a number of seconds, 0 or more (got ${JSON.stringify(value)})`);
  return value;
}

function section(name: 'slurm' | 'pbs' | 'kubernetes', raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${name} must be a mapping, e.g. ${name}: { ... } (see docs/clusters.md)`);
  const fields = SECTION_FIELDS[name];
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const kind = fields[key];
    if (!kind) throw new Error(`${name}.${key} is not a field of ${name} (known: ${Object.keys(fields).join(', ')})`);
    if (kind === 'boolean') {
      if (typeof value !== 'boolean') throw new Error(`${name}.${key} must be true or false`);
    } else if (kind === 'launcher') {
      if (!LAUNCHERS.includes(value as Launcher)) throw new Error(`${name}.${key} must be one of ${LAUNCHERS.join(', ')} (got ${JSON.stringify(value)})`);
    } else if (typeof value !== 'string' || value.includes('\0')) {
      throw new Error(`${name}.${key} must be text`);
    } else if (key === 'walltime' && !WALLTIME.test(value)) {
      throw new Error(`${name}.walltime must be HH:MM:SS or D-HH:MM:SS, e.g. walltime: "01:00:00" (got ${JSON.stringify(value)})`);
    } else if (key !== 'scheduler_options' && /[\n\r]/.test(value)) {
      throw new Error(`${name}.${key} must be one line`);
    }
    out[key] = value;
  }
  return out;
}

/** Checks the block fields of a parsed config.yaml; each problem names the field and what to put there. */
export function validateBlockConfig(data: Record<string, unknown>): BlockConfig {
  const config: BlockConfig = {};
  const set = <K extends keyof BlockConfig>(key: K, value: BlockConfig[K] | undefined) => {
    if (value !== undefined) config[key] = value;
  };
  set('init_blocks', count(data, 'init_blocks', 0, MAX_BLOCKS));
  set('min_blocks', count(data, 'min_blocks', 0, MAX_BLOCKS));
  set('max_blocks', count(data, 'max_blocks', 1, MAX_BLOCKS));
  set('nodes_per_block', count(data, 'nodes_per_block', 1, 100_000));
  set('max_idletime', seconds(data, 'max_idletime'));
  set('drain_period', seconds(data, 'drain_period'));
  set('strategy_period', seconds(data, 'strategy_period'));
  set('max_workers_per_node', count(data, 'max_workers_per_node', 1, 1024));
  set('prefetch_capacity', count(data, 'prefetch_capacity', 0, 1_000_000));
  set('max_retries_on_system_failure', count(data, 'max_retries_on_system_failure', 0, 100));
  set('manager_port', count(data, 'manager_port', 0, 65_535));
  if (data.cores_per_worker !== undefined) {
    const cores = data.cores_per_worker;
    if (typeof cores !== 'number' || !(cores > 0) || cores > 4096) throw new Error(`cores_per_worker must be a number above 0, e.g. 1 or 0.5 (got ${JSON.stringify(cores)})`);
    config.cores_per_worker = cores;
  }
  if (data.available_accelerators !== undefined) {
    const ids = data.available_accelerators;
    const list = typeof ids === 'number' && Number.isInteger(ids) && ids > 0 ? Array.from({ length: ids }, (_, i) => String(i)) : ids;
    if (!Array.isArray(list) || list.some((id) => !['string', 'number'].includes(typeof id) || !/^[A-Za-z0-9_.:-]{1,64}$/.test(String(id)))) {
      throw new Error('available_accelerators must be a count or a list of device ids, e.g. available_accelerators: ["0", "1"]');
    }
    config.available_accelerators = list.map(String);
  }
  for (const key of ['worker_init', 'manager_address'] as const) {
    const value = data[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new Error(`${key} must be text`);
    config[key] = value;
  }
  if (data.mpi_launcher !== undefined) {
    if (data.mpi_launcher !== 'mpiexec' && data.mpi_launcher !== 'srun') throw new Error(`mpi_launcher must be mpiexec or srun (got ${JSON.stringify(data.mpi_launcher)})`);
    config.mpi_launcher = data.mpi_launcher;
  }
  if (data.mpi_launcher_options !== undefined) {
    const options = data.mpi_launcher_options;
    if (!Array.isArray(options) || options.some((option) => typeof option !== 'string')) {
      throw new Error('mpi_launcher_options must be a list of words, e.g. mpi_launcher_options: ["--oversubscribe"]');
    }
    config.mpi_launcher_options = options as string[];
  }
  for (const name of ['slurm', 'pbs', 'kubernetes'] as const) {
    if (data[name] !== undefined) (config as Record<string, unknown>)[name] = section(name, data[name]);
  }
  const min = config.min_blocks ?? 0;
  const max = config.max_blocks ?? 1;
  if (min > max) throw new Error(`min_blocks (${min}) is more than max_blocks (${max})`);
  if ((config.init_blocks ?? 1) > max) throw new Error(`init_blocks (${config.init_blocks}) is more than max_blocks (${max})`);
  return config;
}

/** The strategy in force: the config's, else the defaults (one block, kept; a batch provider's blocks idle out). */
export function resolveStrategy(config: BlockConfig, provider: string) {
  const local = provider === 'local';
  const maxBlocks = config.max_blocks ?? 1;
  return {
    initBlocks: config.init_blocks ?? 1,
    minBlocks: config.min_blocks ?? (local ? 1 : 0),
    maxBlocks,
    nodesPerBlock: config.nodes_per_block ?? 1,
    maxIdleMs: (config.max_idletime ?? DEFAULT_MAX_IDLETIME_S) * 1000,
    drainPeriodMs: config.drain_period === undefined ? undefined : config.drain_period * 1000,
    periodMs: (config.strategy_period ?? DEFAULT_STRATEGY_PERIOD_S) * 1000,
  };
}
export type Strategy = ReturnType<typeof resolveStrategy>;

/**
 * Workers one manager runs on a node with `cpus` cores: at most max_workers_per_node (else the config's
 * `workers`), no more than the cores allow at cores_per_worker each, and one per accelerator when some are named.
 */
export function workersPerNode(config: BlockConfig & { workers: number }, cpus: number): number {
  let workers = config.max_workers_per_node ?? config.workers;
  if (config.cores_per_worker !== undefined) workers = Math.min(workers, Math.max(1, Math.floor(cpus / config.cores_per_worker)));
  if (config.available_accelerators !== undefined && config.available_accelerators.length > 0) {
    workers = Math.min(workers, config.available_accelerators.length);
  }
  return Math.max(1, workers);
}

/** sbatch/qsub walltime in milliseconds. */
export function walltimeMs(walltime: string | undefined): number | undefined {
  if (!walltime) return undefined;
  const match = /^(?:(\d+)-)?(\d+):(\d+):(\d+)$/.exec(walltime);
  if (!match) return undefined;
  const [, days, hours, minutes, secs] = match.map((part) => Number(part ?? 0));
  return (((days * 24 + hours) * 60 + minutes) * 60 + secs) * 1000;
}
