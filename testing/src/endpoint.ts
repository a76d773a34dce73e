import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointView } from '@funcx/protocol';
import type { HubProcess } from './hub.js';
import { bin } from './paths.js';
import { runProcess, spawnProcess, type ManagedProcess } from './processes.js';
import { removeLater } from './tempdir.js';
import { waitFor } from './wait.js';

export interface EndpointOptions {
  name: string;
  workers?: number;
  /** Interpreter for the workers (default: the endpoint's default, python3). */
  python?: string;
  location?: { lat: number; lon: number };
  site?: string;
  timeoutMs?: number;
  /** Flags for node itself when running the daemon, such as --cpu-prof. */
  nodeArgs?: string[];
  /** `configure --public`: every user of the hub may run tasks here. */
  public?: boolean;
  /**
   * Fields configure has no flag for (sandbox, limits, worker_env, ...), added to config.yaml. `sandbox` is
   * `none` unless given: tests and benchmarks share files with their tasks through the temp dir, which a
   * sandbox hides; give `sandbox: 'auto'` or `'bwrap'` to test under one.
   */
  config?: Record<string, unknown>;
  /** Run the daemon under `funcx-endpoint supervise`, which restarts it after an unexpected death. */
  supervised?: boolean;
  /** Variables the daemon gets besides the hub's (SLURM_CONF of a test cluster). */
  env?: NodeJS.ProcessEnv;
}

export interface EndpointProcess {
  name: string;
  endpointId: string;
  /** `$FUNCX_HOME/endpoints/NAME`. */
  dir: string;
  /** The running daemon (`start --foreground`), or its supervisor when supervised, if started. */
  process?: ManagedProcess;
  /** The daemon's pid, from its pid file (under a supervisor it changes at each restart). */
  daemonPid(): number | undefined;
  /** Starts the daemon in the foreground and waits until the hub shows the endpoint online. */
  start(): Promise<void>;
  /** SIGTERM, then waits until the hub shows the endpoint offline. */
  stop(): Promise<void>;
  /** SIGKILL to the daemon only (never its supervisor), as in a crash. */
  kill9(): Promise<void>;
  restart(): Promise<void>;
  /** The endpoint as the hub shows it now. */
  view(): Promise<EndpointView>;
}

/** Registers an endpoint with `funcx-endpoint configure` without starting it. */
export async function configureEndpoint(hub: HubProcess, options: EndpointOptions): Promise<EndpointProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const args = [bin.endpoint, 'configure', options.name, '--hub', hub.url];
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  if (options.python) args.push('--python', options.python);
  if (options.location) args.push('--location', `${options.location.lat},${options.location.lon}`);
  if (options.site) args.push('--site', options.site);
  if (options.public) args.push('--public');
  await runProcess(process.execPath, args, { name: `funcx-endpoint configure ${options.name}`, env: hub.env(), timeoutMs });
  const dir = join(hub.funcxHome, 'endpoints', options.name);
  // JSON is YAML: each field goes in as one line of flow style, in place of what configure wrote for it.
  const extra = { sandbox: 'none', ...options.config };
  const configPath = join(dir, 'config.yaml');
  const kept = readFileSync(configPath, 'utf8')
    .split('\n')
    .filter((line) => !Object.keys(extra).some((key) => line.startsWith(`${key}:`)));
  writeFileSync(configPath, kept.join('\n').trimEnd() + '\n');
  for (const [key, value] of Object.entries(extra)) appendFileSync(configPath, `${key}: ${JSON.stringify(value)}\n`);

  const view = async (): Promise<EndpointView> => {
    const response = await fetch(`${hub.url}/v1/endpoints/${encodeURIComponent(options.name)}`, {
      headers: { authorization: `Bearer ${hub.token}` },
    });
    if (!response.ok) throw new Error(`GET /v1/endpoints/${options.name}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as EndpointView;
  };
  const registered = await view();
  // The daemon's worker scratch root (endpoint/src/daemon-workers.ts); a daemon killed in a test leaves it.
  removeLater(join(tmpdir(), `funcx-${registered.endpoint_id}`));

  const endpoint: EndpointProcess = {
    name: options.name,
    endpointId: registered.endpoint_id,
    dir,
    view,
    daemonPid() {
      try {
        return Number(readFileSync(join(dir, 'daemon.pid'), 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    },
    async start() {
      if (endpoint.process && !endpoint.process.exitStatus) throw new Error(`endpoint ${options.name} is already running`);
      const command = options.supervised ? ['supervise', options.name] : ['start', options.name, '--foreground'];
      const args = [...(options.nodeArgs ?? []), bin.endpoint, ...command];
      endpoint.process = spawnProcess(process.execPath, args, {
        name: `funcx-endpoint ${options.name}`,
        env: { ...hub.env(), ...options.env },
      });
      const daemon = endpoint.process;
      await waitFor(
        async () => {
          if (daemon.exitStatus) throw new Error(`the daemon exited:\n${daemon.tail()}`);
          return (await view()).status.online;
        },
        { timeoutMs, what: `endpoint ${options.name} online`, intervalMs: 100 },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${daemon.tail()}`);
      });
    },
    async stop() {
      await endpoint.process?.stop();
      await waitForOffline();
    },
    async kill9() {
      if (!options.supervised) return void (await endpoint.process?.kill9());
      const pid = endpoint.daemonPid();
      if (pid === undefined) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitFor(() => !isRunning(pid), { timeoutMs, what: `daemon ${pid} gone` });
    },
    async restart() {
      await endpoint.stop();
      await endpoint.start();
    },
  };
  const waitForOffline = () =>
    waitFor(async () => !(await view()).status.online, {
      timeoutMs,
      what: `endpoint ${options.name} offline`,
      intervalMs: 100,
    });
  return endpoint;
}

/** Configures an endpoint and starts its daemon as a child of the test, then waits until it is online. */
export async function startEndpoint(hub: HubProcess, options: EndpointOptions): Promise<EndpointProcess> {
  const endpoint = await configureEndpoint(hub, options);
  await endpoint.start();
  return endpoint;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
