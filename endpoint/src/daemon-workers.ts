import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointConfig } from './config.js';
import { resolveLimits } from './config-workers.js';
import type { Log } from './log.js';
import type { ManagerOptions } from './manager.js';
import { funcxHome } from '@funcx/node-common';
import { endpointPaths } from './paths.js';
import { chooseRuntime } from './runtimes/index.js';

/** Where this endpoint's workers keep their scratch directories: outside FUNCX_HOME, one folder per endpoint. */
export function scratchRootOf(config: EndpointConfig): string {
  return join(tmpdir(), `funcx-${config.endpoint_id}`);
}

/** Empties (or makes) the endpoint's scratch root: what a daemon that died left there belongs to no worker now. */
export function resetScratchRoot(config: EndpointConfig): string {
  const scratchRoot = scratchRootOf(config);
  rmSync(scratchRoot, { recursive: true, force: true });
  mkdirSync(scratchRoot, { recursive: true, mode: 0o700 });
  return scratchRoot;
}

/**
 * How a manager runs workers, from config.yaml: the runtime (throws when the sandbox the config asks for cannot
 * run), the workers' environment, limits, allowed functions, and where their scratch directories go.
 */
export function workerSettings(
  config: EndpointConfig,
  env: NodeJS.ProcessEnv,
  log: Log,
  scratchRoot: string,
): Omit<ManagerOptions, 'size' | 'python' | 'log' | 'ledger'> {
  const paths = endpointPaths(config.name, env);
  const { runtime, note } = chooseRuntime({
    sandbox: config.sandbox ?? 'auto',
    public: config.public === true,
    network: config.sandbox_network ?? true,
    hide: [...new Set([funcxHome(env), paths.dir])],
  });
  if (note) log('warn', note);
  log('info', `workers run ${runtime.kind === 'bwrap' ? 'in bubblewrap sandboxes' : 'as plain processes'}`);
  mkdirSync(scratchRoot, { recursive: true, mode: 0o700 });
  const limits = resolveLimits(config.limits);
  return {
    runtime,
    env: { set: config.worker_env, passthrough: config.env_passthrough },
    daemonEnv: env,
    scratchRoot,
    rlimits: limits.rlimits,
    limits: limits.task,
    allowedFunctions: config.allowed_functions ? new Set(config.allowed_functions) : undefined,
    configPath: paths.config,
  };
}
