import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import type { EndpointConfig } from './config.js';
import { DEFAULT_CONTAINER_IDLE_S, DEFAULT_CONTAINER_NETWORK, DEFAULT_WARM_MODE } from './config-containers.js';
import type { Log } from './log.js';
import { endpointPaths } from './paths.js';
import {
  containerRuntimeProblem,
  createContainerRuntime,
  podmanConfigPaths,
  writePodmanConfig,
  type ContainerRuntime,
  type ContainerRuntimeKind,
} from './runtimes/index.js';
import type { ContainerPoolOptions } from './worker-pool.js';

/** What `funcx-endpoint status` shows of a running endpoint's containers (`containers.json` in its folder). */
export interface ContainerStatus {
  runtime: string;
  default_image?: string;
  /** Why no container can start (the runtime is not installed), if so. */
  problem?: string;
  /** The last failure per image: the runtime's own message, and when (epoch ms). */
  failures: { [image: string]: { message: string; at: number } };
}

/** The endpoint's containers: the pool's settings, the status it keeps, and how leftovers are removed. */
export interface DaemonContainers {
  pool: ContainerPoolOptions;
  /** The environment podman runs with (the endpoint's own configuration), for the managers. */
  podmanEnv?: { [name: string]: string };
  /** Records a container that could not start (for status and the log). */
  failed(image: string, message: string): void;
  /** Removes what is left of this endpoint's containers and its podman run directory (after the workers stopped). */
  stop(): void;
}

/**
 * The containers config.yaml asks for: the runtime (and, for podman, the endpoint's own podman configuration
 * written under its folder), and whether it can run here. A runtime that is not installed does not stop the
 * endpoint: it says so in its log and status, and tasks that need a container fail with that reason.
 */
export function daemonContainers(config: EndpointConfig, env: NodeJS.ProcessEnv, log: Log): DaemonContainers {
  const paths = endpointPaths(config.name, env);
  const kind = config.container_runtime ?? 'none';
  const status: ContainerStatus = { runtime: kind, default_image: config.container_image, failures: {} };
  const writeStatus = () => {
    try {
      writeFileSync(paths.containers, JSON.stringify(status, null, 1) + '\n');
    } catch (error) {
      log('warn', `could not write ${paths.containers}: ${(error as Error).message}`);
    }
  };
  const failed = (image: string, message: string) => {
    status.failures[image] = { message, at: Date.now() };
    writeStatus();
  };
  if (kind === 'none') {
    status.problem = containerPoolOptions(config, undefined, env).problem;
    writeStatus();
    return { pool: { problem: status.problem }, failed, stop: () => rmSync(paths.containers, { force: true }) };
  }
  const podman = kind === 'podman' || kind === 'custom' ? writePodmanConfig(paths.dir, config.container_image_stores) : undefined;
  const { runtime, problem } = containerRuntimeFor(config, podman?.env, env);
  if (problem) {
    status.problem = `container_runtime ${kind}: ${problem}`;
    log('error', `${status.problem}; tasks that need a container fail with this until it is`);
  } else {
    removeLeftovers(runtime, config.endpoint_id, podman?.env ?? {}, env, log);
    const image = config.container_image ? `default image ${config.container_image}` : 'no default image';
    const warm = config.max_warm_containers ?? config.workers;
    const idle = config.container_idle_s ?? DEFAULT_CONTAINER_IDLE_S;
    log('info', `containers: ${kind}, ${image}, at most ${warm} warm, stopped after ${idle} s idle, ${config.warm_mode ?? DEFAULT_WARM_MODE} mode`);
  }
  writeStatus();
  return {
    pool: containerPoolOptions(config, podman?.env, env),
    podmanEnv: podman?.env,
    failed,
    stop: () => {
      if (!problem) removeLeftovers(runtime, config.endpoint_id, podman?.env ?? {}, env, log);
      if (podman) rmSync(podmanConfigPaths(paths.dir).runDir, { recursive: true, force: true });
      rmSync(paths.containers, { force: true });
    },
  };
}

function containerRuntimeFor(config: EndpointConfig, podmanEnv: { [name: string]: string } | undefined, env: NodeJS.ProcessEnv) {
  const runtime = createContainerRuntime({
    kind: config.container_runtime as ContainerRuntimeKind,
    network: config.container_network ?? DEFAULT_CONTAINER_NETWORK,
    options: config.container_options ?? [],
    imageDir: config.container_image_dir,
    command: config.container_command,
    podmanEnv,
  });
  return { runtime, problem: containerRuntimeProblem(runtime, env.PATH) };
}

/** How a manager's pool runs containers, from config.yaml (and the podman configuration the daemon wrote). */
export function containerPoolOptions(
  config: EndpointConfig,
  podmanEnv: { [name: string]: string } | undefined,
  env: NodeJS.ProcessEnv,
): ContainerPoolOptions {
  const kind = config.container_runtime ?? 'none';
  if (kind === 'none') {
    return { problem: `this endpoint runs no containers (container_runtime is none in ${endpointPaths(config.name, env).config}): run the task without a container image, or set container_runtime` };
  }
  const { runtime, problem } = containerRuntimeFor(config, podmanEnv, env);
  return {
    runtime,
    problem: problem === undefined ? undefined : `container_runtime ${kind}: ${problem}`,
    defaultImage: config.container_image,
    maxWarm: config.max_warm_containers,
    idleMs: (config.container_idle_s ?? DEFAULT_CONTAINER_IDLE_S) * 1000,
    mode: config.warm_mode ?? DEFAULT_WARM_MODE,
    endpointId: config.endpoint_id,
  };
}

/**
 * Containers of this endpoint that outlived their workers (a daemon killed mid-start): podman and docker keep
 * them apart from any process of ours, so they are found by the label every one carries and removed.
 */
function removeLeftovers(runtime: ContainerRuntime, endpointId: string, configEnv: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv, log: Log): void {
  if (runtime.kind !== 'podman' && runtime.kind !== 'docker' && runtime.kind !== 'podman-hpc') return;
  const runEnv = { PATH: env.PATH, HOME: env.HOME, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR, ...configEnv };
  const list = spawnSync(runtime.binary, ['ps', '--all', '--quiet', '--filter', `label=funcx.endpoint=${endpointId}`], {
    encoding: 'utf8',
    env: runEnv,
    timeout: 30_000,
  });
  const ids = list.status === 0 ? list.stdout.split('\n').filter(Boolean) : [];
  if (ids.length === 0) return;
  const removed = spawnSync(runtime.binary, ['rm', '--force', ...ids], { encoding: 'utf8', env: runEnv, timeout: 60_000 });
  if (removed.status === 0) log('info', `removed ${ids.length} container(s) left from an earlier run`);
  else log('warn', `could not remove containers left from an earlier run (${ids.join(', ')}): ${removed.stderr.trim()}`);
}
