import { hostname } from 'node:os';
import { join } from 'node:path';
import type { NodeResources } from '@funcx/protocol';
import type { EndpointConfig } from './config.js';
import { workersPerNode } from './config-blocks.js';
import { containerPoolOptions } from './daemon-containers.js';
import { workerSettings } from './daemon-workers.js';
import type { Log } from './log.js';
import type { DataAccessSettings } from './data/daemon-data.js';
import type { ManagerOptions } from './manager.js';

/** What the daemon's welcome tells a manager: the endpoint's config (without its token) and where things go. */
export interface ManagerSettings {
  config: Omit<EndpointConfig, 'endpoint_token'>;
  /** Where this manager's workers keep their scratch directories (a folder of its own under it). */
  scratch_root: string;
  /** The environment the endpoint's podman runs with, when it runs podman. */
  podman_env?: { [name: string]: string };
  /** The endpoint's data store, for the workers' access (absent: none). */
  data?: DataAccessSettings;
}

/** The welcome's settings, without the endpoint's token (a manager never needs it). */
export function managerSettings(config: EndpointConfig, scratchRoot: string, podmanEnv?: { [name: string]: string }): ManagerSettings {
  const { endpoint_token: _token, ...rest } = config;
  return { config: rest, scratch_root: scratchRoot, ...(podmanEnv ? { podman_env: podmanEnv } : {}) };
}

/** How a manager runs its workers on this node, from the daemon's settings; throws when its sandbox cannot run. */
export function managerOptions(
  settings: ManagerSettings,
  managerId: string,
  resources: NodeResources,
  env: NodeJS.ProcessEnv,
  log: Log,
): Omit<ManagerOptions, 'log'> {
  const config = { ...settings.config, endpoint_token: '' } as EndpointConfig;
  const scratch = join(settings.scratch_root, `manager-${managerId}`);
  return {
    ...workerSettings(config, env, log, scratch),
    size: workersPerNode(config, resources.cpus),
    python: config.python,
    containers: containerPoolOptions(config, settings.podman_env, env),
    accelerators: config.available_accelerators,
    ...(settings.data ? { dataAccess: settings.data } : {}),
  };
}

/** Host names of the block's nodes, from what the scheduler tells the job (else this node alone). */
export function blockNodes(env: NodeJS.ProcessEnv): string[] {
  const listed = env.FUNCX_BLOCK_NODES?.split(',').filter(Boolean);
  if (listed && listed.length > 0) return listed;
  return [hostname()];
}
