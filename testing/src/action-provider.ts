import { repoRoot } from './paths.js';
import { spawnProcess, type ManagedProcess } from './processes.js';

/** What the example provider counts (GET /stats). */
export interface ProviderStats {
  run_requests: number;
  started: number;
  completed: number;
  cancelled: number;
  released: number;
  /** Per request id: how many times an action with it ran to the end. */
  executions: Record<string, number>;
}

export interface ActionProviderProcess {
  url: string;
  process: ManagedProcess;
  stats(): Promise<ProviderStats>;
  stop(): Promise<void>;
}

/** Starts the example action provider (examples/action-provider/server.mjs) on a free port. */
export async function startActionProvider(options: { timeoutMs?: number } = {}): Promise<ActionProviderProcess> {
  const child = spawnProcess(process.execPath, [`${repoRoot}examples/action-provider/server.mjs`, '--port', '0'], { name: 'action-provider' });
  const match = await child.waitForOutput(/action provider listening on (http:\/\/\S+)/, { timeoutMs: options.timeoutMs ?? 10_000, stream: 'stdout' });
  const url = match[1];
  return {
    url,
    process: child,
    async stats() {
      const response = await fetch(`${url}/stats`);
      return (await response.json()) as ProviderStats;
    },
    async stop() {
      await child.stop();
    },
  };
}
