import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  bin,
  cleanup,
  makeTempDir,
  projectPython,
  runProcess,
  spawnProcess,
  startEndpoint,
  startHub,
  withTimeout,
  type EndpointProcess,
  type HubProcess,
  type ManagedProcess,
} from '@funcx/testing';
import type { TaskRecord, TaskSubmission } from '@funcx/protocol';
import { HubClient } from '../../src/hub-client.js';

export interface World {
  home: string;
  hub: HubProcess;
  endpoint: EndpointProcess;
  client: HubClient;
  /** Submits over the socket and resolves with the final record. */
  run(task: Omit<TaskSubmission, 'endpoint'> & { endpoint?: string }, timeoutMs?: number): Promise<TaskRecord>;
}

/** The Python with matplotlib when the project venv exists, else plain python3 (the worker needs only stdlib). */
export function workerPython(): string {
  const python = projectPython();
  return existsSync(python) ? python : 'python3';
}

/** A real hub and a real endpoint (2 workers) in a fresh FUNCX_HOME, and a connected HubClient. */
export async function startWorld(options: { workers?: number; endpointName?: string } = {}): Promise<World> {
  const home = makeTempDir('funcx-home-');
  const hub = await startHub({ funcxHome: home });
  const endpoint = await startEndpoint(hub, {
    name: options.endpointName ?? 'local',
    workers: options.workers ?? 2,
    python: workerPython(),
  });
  const client = new HubClient({ hubUrl: hub.url, token: hub.token, requestTimeoutMs: 15_000 });
  await client.connect();
  return {
    home,
    hub,
    endpoint,
    client,
    async run(task, timeoutMs = 20_000) {
      const { task_ids } = await client.submitLive([{ endpoint: endpoint.name, ...task }]);
      return withTimeout(client.waitForTask(task_ids[0]), timeoutMs, `task ${task_ids[0]}`);
    },
  };
}

export async function stopWorld(world: World | undefined): Promise<void> {
  world?.client.close();
  await cleanup();
}

/** Runs the `funcx` CLI against the world's hub and waits for it to exit. */
export async function funcx(
  world: Pick<World, 'hub'>,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnFuncx(world, args, options);
  const status = await child.waitForExit(options.timeoutMs ?? 30_000);
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

export function spawnFuncx(
  world: Pick<World, 'hub'>,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): ManagedProcess {
  return spawnProcess(process.execPath, [bin.funcx, ...args], {
    name: `funcx ${args[0]}`,
    env: { ...world.hub.env(), ...options.env },
    cwd: options.cwd,
  });
}

export { join, runProcess };
