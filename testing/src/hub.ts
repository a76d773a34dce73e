import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Credentials } from '@funcx/protocol';
import { bin } from './paths.js';
import { runProcess, spawnProcess, type ManagedProcess } from './processes.js';

export interface StartHubOptions {
  /** `$FUNCX_HOME` of the hub: credentials.json is written here. */
  funcxHome: string;
  /** Defaults to `$FUNCX_HOME/hub`. */
  dataDir?: string;
  /** 0 (the default) picks a free port; a restart keeps the port it got. */
  port?: number;
  /** `memory` (the default) or a Redis URL, `redis://HOST:PORT/DB` (e.g. `${redis.url}/0` of startRedis()). */
  store?: string;
  extraArgs?: string[];
  /** Flags for node itself, such as --cpu-prof. */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface HubProcess {
  url: string;
  port: number;
  /** The local user's token, from credentials.json. */
  token: string;
  funcxHome: string;
  dataDir: string;
  process: ManagedProcess;
  /** Environment for the hub's own CLIs and for clients of this hub (FUNCX_HOME, FUNCX_HUB_URL, FUNCX_TOKEN). */
  env(): NodeJS.ProcessEnv;
  /** Adds a user with `funcx-hub users add` and returns its token. */
  addUser(name: string): Promise<string>;
  stop(): Promise<void>;
  /** Stops (SIGTERM) and starts again on the same port and data dir. */
  restart(): Promise<void>;
  /** SIGKILL, as in a crash. */
  kill9(): Promise<void>;
  /** Starts again after stop/kill9, on the same port and data dir. */
  start(): Promise<void>;
}

const LISTENING = /funcx hub listening on (http:\/\/\S+)/;

/** Starts `funcx-hub` (the compiled server) and waits for its "listening" line. */
export async function startHub(options: StartHubOptions): Promise<HubProcess> {
  const funcxHome = options.funcxHome;
  const dataDir = options.dataDir ?? join(funcxHome, 'hub');
  const timeoutMs = options.timeoutMs ?? 20_000;
  let port = options.port ?? 0;

  const baseEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, FUNCX_HOME: funcxHome };
    delete env.FUNCX_HUB_URL;
    delete env.FUNCX_TOKEN;
    return env;
  };

  const launch = async (): Promise<{ process: ManagedProcess; url: string }> => {
    const args = [...(options.nodeArgs ?? []), bin.hub, '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir];
    if (options.store) args.push('--store', options.store);
    args.push(...(options.extraArgs ?? []));
    const child = spawnProcess(process.execPath, args, { name: 'funcx-hub', env: baseEnv() });
    const match = await child.waitForOutput(LISTENING, { timeoutMs, stream: 'stdout' }).catch(async (error) => {
      await child.stop(1_000);
      throw error;
    });
    return { process: child, url: match[1] };
  };

  const first = await launch();
  const url = first.url;
  port = Number(new URL(url).port);
  const credentials = JSON.parse(readFileSync(join(funcxHome, 'credentials.json'), 'utf8')) as Credentials;

  const hub: HubProcess = {
    url,
    port,
    token: credentials.token,
    funcxHome,
    dataDir,
    process: first.process,
    env: () => ({ ...baseEnv(), FUNCX_HUB_URL: url, FUNCX_TOKEN: hub.token }),
    async addUser(name) {
      // The user goes where the hub keeps its users: its Redis, when it runs on one.
      const storeAt = options.extraArgs?.indexOf('--store') ?? -1;
      const store = storeAt >= 0 ? ['--store', options.extraArgs![storeAt + 1]] : [];
      const run = await runProcess(process.execPath, [bin.hub, 'users', 'add', name, '--data-dir', dataDir, ...store], {
        name: `funcx-hub users add ${name}`,
        env: baseEnv(),
        timeoutMs,
      });
      const token = run.stdout.trim().split('\n').pop()?.trim().split(/\s+/).pop();
      if (!token) throw new Error(`funcx-hub users add ${name} printed no token:\n${run.output}`);
      return token;
    },
    async stop() {
      await hub.process.stop();
    },
    async kill9() {
      await hub.process.kill9();
    },
    async start() {
      if (!hub.process.exitStatus) throw new Error('the hub is still running; stop it first');
      hub.process = (await launch()).process;
    },
    async restart() {
      await hub.stop();
      await hub.start();
    },
  };
  return hub;
}
