import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { HubClient } from '@funcx/client';
import {
  configureEndpoint,
  makeTempDir,
  startHub,
  startRedis,
  type EndpointProcess,
  type HubProcess,
  type RedisProcess,
} from '@funcx/testing';

/** A short task that leaves a line per execution in a log, so re-executions can be counted. */
export const TASK_SOURCE = `import time

def chaos_task(i, log):
    time.sleep(0.01)
    with open(log, "a") as f:
        f.write(f"{i}\\n")
    return i * 2
`;

export interface Cluster {
  redis: RedisProcess;
  hubs: HubProcess[];
  endpoints: EndpointProcess[];
  /** One client per hub, each connected to its hub's socket. */
  clients: HubClient[];
  functionId: string;
  /** Where each execution of the task writes its argument. */
  executionLog: string;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A redis-server (append-only file on), `hubs` funcx-hub processes on it, and one endpoint daemon per hub with
 * two Python workers, each connected to its own hub (endpoint i to hub i), and a client on every hub.
 */
export async function startCluster(hubCount: number): Promise<Cluster> {
  const redis = await startRedis();
  const hubs: HubProcess[] = [];
  for (let i = 0; i < hubCount; i++) {
    hubs.push(
      await startHub({
        funcxHome: makeTempDir(`funcx-chaos-hub${i}-`),
        extraArgs: ['--store', `${redis.url}/0`, '--log-level', 'warn'],
      }),
    );
  }
  const endpoints: EndpointProcess[] = [];
  for (let i = 0; i < hubCount; i++) {
    const endpoint = await configureEndpoint(hubs[i], { name: `site-${i}`, workers: 2, python: 'python3', timeoutMs: 30_000 });
    await endpoint.start();
    endpoints.push(endpoint);
  }
  const clients = hubs.map((hub) => new HubClient({ hubUrl: hub.url, token: hub.token, transports: ['websocket'] }));
  for (const client of clients) await client.connect();
  const { function_id } = await clients[0].registerFunction({
    name: 'chaos_task',
    language: 'python',
    entrypoint: 'chaos_task',
    source: TASK_SOURCE,
  });
  return { redis, hubs, endpoints, clients, functionId: function_id, executionLog: join(makeTempDir('funcx-chaos-log-'), 'executions.log') };
}

/** Pids of the Python workers an endpoint daemon started. */
export function workerPids(endpoint: EndpointProcess): number[] {
  const pid = endpoint.process?.pid;
  if (!pid) return [];
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

/** Runs a redis-cli command against the test's redis-server. */
export function redisCli(redis: RedisProcess, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();
}
