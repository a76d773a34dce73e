import { isAbsolute } from 'node:path';
import { nameProblem } from '@funcx/protocol';
import { CONTAINER_RUNTIME_KINDS, parseCommandTemplate, type ContainerRuntimeKind } from './runtimes/index.js';

export const WARM_MODES = ['soft', 'hard'] as const;
export type WarmMode = (typeof WARM_MODES)[number];
export type ContainerRuntimeSetting = (typeof CONTAINER_RUNTIME_KINDS)[number];

/** The fields of config.yaml that say how workers run in containers (see docs/containers.md). */
export interface ContainerConfig {
  container_runtime?: ContainerRuntimeSetting;
  /** The image of tasks that name none (absent: such tasks run without a container). */
  container_image?: string;
  /** Extra argv entries for the runtime, before the image. */
  container_options?: string[];
  /** container_runtime custom: the command template. */
  container_command?: string | string[];
  /** `none`, `host` (default) or a network's name. */
  container_network?: string;
  /** bwrap, apptainer, singularity: where images are found by reference. */
  container_image_dir?: string;
  /** podman: read-only image stores to take images from besides the endpoint's own storage. */
  container_image_stores?: string[];
  /** Most workers in containers at once, busy or idle (default: workers). */
  max_warm_containers?: number;
  /** An idle container is stopped after this many seconds. */
  container_idle_s?: number;
  warm_mode?: WarmMode;
}

export const CONTAINER_CONFIG_FIELDS = [
  'container_runtime',
  'container_image',
  'container_options',
  'container_command',
  'container_network',
  'container_image_dir',
  'container_image_stores',
  'max_warm_containers',
  'container_idle_s',
  'warm_mode',
];

export const DEFAULT_CONTAINER_NETWORK = 'host';
export const DEFAULT_CONTAINER_IDLE_S = 300;
export const DEFAULT_WARM_MODE: WarmMode = 'soft';
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MAX_IDLE_S = 7 * 24 * 3600;
/** Runtimes whose images are files or directories found in container_image_dir. */
const FILE_IMAGE_RUNTIMES: readonly ContainerRuntimeKind[] = ['bwrap', 'apptainer', 'singularity'];

function stringList(value: unknown, field: string, example: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new Error(`${field} must be a list of strings, e.g. ${field}: ${example}`);
  }
  return value as string[];
}

function absolutePath(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isAbsolute(value)) {
    throw new Error(`${field} must be an absolute path (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Checks the container fields of a parsed config.yaml; each problem names the field and what to put there. */
export function validateContainerConfig(data: Record<string, unknown>, maxWorkers: number): ContainerConfig {
  const config: ContainerConfig = {};
  const runtime = data.container_runtime;
  if (runtime !== undefined) {
    if (!CONTAINER_RUNTIME_KINDS.includes(runtime as ContainerRuntimeSetting)) {
      throw new Error(`container_runtime must be one of ${CONTAINER_RUNTIME_KINDS.join(', ')} (got ${JSON.stringify(runtime)})`);
    }
    config.container_runtime = runtime as ContainerRuntimeSetting;
  }
  const kind = config.container_runtime ?? 'none';
  const needsRuntime = (field: string) => {
    if (kind === 'none') throw new Error(`${field} needs a container_runtime (one of ${CONTAINER_RUNTIME_KINDS.slice(1).join(', ')})`);
  };
  if (data.container_image !== undefined) {
    needsRuntime('container_image');
    const problem = typeof data.container_image === 'string' ? nameProblem('image', data.container_image) : 'it must be text';
    if (problem) throw new Error(`container_image: ${problem}`);
    config.container_image = data.container_image as string;
  }
  if (data.container_options !== undefined) {
    config.container_options = stringList(data.container_options, 'container_options', '["--pull=never"]');
  }
  if (data.container_command !== undefined) {
    if (kind !== 'custom') throw new Error('container_command is the template of container_runtime: custom; set that, or remove container_command');
    const template = data.container_command;
    if (typeof template !== 'string' && !Array.isArray(template)) {
      throw new Error('container_command must be a string or a list of arguments, e.g. container_command: [podman, run, --rm, "{mounts}", "{image}", "{command}"]');
    }
    if (Array.isArray(template)) stringList(template, 'container_command', '[podman, run, "{image}", "{command}"]');
    parseCommandTemplate(template as string | string[]);
    config.container_command = template as string | string[];
  } else if (kind === 'custom') {
    throw new Error('container_runtime: custom needs container_command, the command template (docs/containers.md)');
  }
  if (data.container_network !== undefined) {
    const network = data.container_network;
    if (typeof network !== 'string' || !NETWORK_NAME.test(network)) {
      throw new Error(`container_network must be none, host or the name of a network (got ${JSON.stringify(network)})`);
    }
    if (kind === 'bwrap' && network !== 'none' && network !== 'host') {
      throw new Error('container_network with container_runtime bwrap must be none or host');
    }
    if (kind === 'shifter' && network !== 'host') {
      throw new Error('container_network: shifter shares the host\'s network and cannot isolate it; use host (or another runtime)');
    }
    config.container_network = network;
  }
  if (data.container_image_dir !== undefined) {
    if (!FILE_IMAGE_RUNTIMES.includes(kind as ContainerRuntimeKind)) {
      throw new Error(`container_image_dir is where ${FILE_IMAGE_RUNTIMES.join(', ')} find their images; container_runtime is ${kind}`);
    }
    config.container_image_dir = absolutePath(data.container_image_dir, 'container_image_dir');
  } else if (kind === 'bwrap') {
    throw new Error('container_runtime: bwrap needs container_image_dir, the directory of unpacked root file systems (scripts/build-image.sh prints it)');
  }
  if (data.container_image_stores !== undefined) {
    if (kind !== 'podman' && kind !== 'custom') {
      throw new Error(`container_image_stores are image stores of the endpoint's podman; container_runtime is ${kind}`);
    }
    const stores = stringList(data.container_image_stores, 'container_image_stores', '[/var/cache/funcx/podman-store]');
    stores.forEach((store, index) => {
      absolutePath(store, `container_image_stores[${index}]`);
      if (store.includes('"') || store.includes('\n')) throw new Error(`container_image_stores[${index}] may not hold a quote or a new line`);
    });
    config.container_image_stores = stores;
  }
  if (data.max_warm_containers !== undefined) {
    const value = data.max_warm_containers;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxWorkers) {
      throw new Error(`max_warm_containers must be a whole number from 1 to ${maxWorkers} (got ${JSON.stringify(value)})`);
    }
    config.max_warm_containers = value;
  }
  if (data.container_idle_s !== undefined) {
    const value = data.container_idle_s;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_IDLE_S) {
      throw new Error(`container_idle_s must be a number of seconds above 0, at most ${MAX_IDLE_S} (got ${JSON.stringify(value)})`);
    }
    config.container_idle_s = value;
  }
  if (data.warm_mode !== undefined) {
    if (!WARM_MODES.includes(data.warm_mode as WarmMode)) {
      throw new Error(`warm_mode must be soft (repurpose an idle worker of another image) or hard (wait for a worker of the task's image) (got ${JSON.stringify(data.warm_mode)})`);
    }
    config.warm_mode = data.warm_mode as WarmMode;
  }
  return config;
}
