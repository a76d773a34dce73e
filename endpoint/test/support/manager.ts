import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { FunctionCode, JsonValue } from '@funcx/protocol';
import { waitFor } from '@funcx/testing';
import { Manager, type ManagerOptions } from '../../src/manager.js';
import { Recorder } from './recorder.js';

export interface RunOptions {
  entrypoint?: string;
  args?: JsonValue[];
  kwargs?: { [key: string]: JsonValue };
  timeout_s?: number;
  owner?: string;
  return_pickle?: boolean;
  container_image?: string;
  session?: string;
}

/** The interpreter python3 names, resolved past launcher shims (pyenv's adds variables of its own to a worker). */
export const PYTHON = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** A real Manager with real Python workers, and a Recorder of everything it reports; resolves once all are ready. */
export async function startManager(
  options: Partial<ManagerOptions> = {},
): Promise<{ manager: Manager; recorder: Recorder }> {
  const recorder = new Recorder();
  const manager = new Manager({ size: 2, python: PYTHON, ...options }, recorder);
  await manager.start();
  const size = options.size ?? 2;
  const warm = options.containers?.defaultImage ? Math.min(size, options.containers.maxWarm ?? size) : size;
  await waitFor(() => manager.pool.readyCount >= warm, { what: `${warm} workers ready`, intervalMs: 10 });
  return { manager, recorder };
}

/** Submits source (a cell, or a function with an entrypoint) as one task and returns its id. */
export function run(manager: Manager, source: string, options: RunOptions = {}): string {
  const code: FunctionCode = { function_id: randomUUID(), source, entrypoint: options.entrypoint };
  const taskId = randomUUID();
  manager.submit(
    [
      {
        task_id: taskId,
        function_id: code.function_id,
        owner: options.owner ?? 'alice',
        args: options.args ?? [],
        kwargs: options.kwargs ?? {},
        timeout_s: options.timeout_s,
        return_pickle: options.return_pickle,
        ...(options.session !== undefined ? { session: options.session } : {}),
        container_image: options.container_image,
      },
    ],
    [code],
  );
  return taskId;
}

/** Runs source as one task and returns its completion. */
export async function runToEnd(manager: Manager, recorder: Recorder, source: string, options: RunOptions = {}) {
  return recorder.wait(run(manager, source, options), 60_000);
}
