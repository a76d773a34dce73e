import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { HubClient } from '@funcx/client';
import type { TaskSubmission } from '@funcx/protocol';
import { cleanup, configureEndpoint, makeTempDir, startHub, startRedis, type EndpointProcess, type HubProcess, type RedisProcess } from '@funcx/testing';
import { breakdown, type TimedRoundTrip } from './breakdown.js';
import { benchOptions, log, NOOP_SOURCE } from './options.js';
import { batchThroughputs, FinalWaiter, hubThroughput, timedRoundTrips, warmUp, type BatchFigures } from './hub-bench.js';
import { processTree } from '@funcx/endpoint';
import { cpuNs, loadAverage, perTask } from './scale-cpu.js';
import { latencyFigures, ms, quantile, rate, type LatencyFigures } from './stats.js';

// The core benchmark (warm no-op: sequential round trips, then one large batch) on the embedded store, on the
// Redis store, and with two hubs on one Redis; for each, where a round trip's time goes, how many calls the hubs
// make to Redis and how many commands Redis runs per task, and the CPU each process spends per task.

const { samples, batch, batches, workers, python } = benchOptions(1000);

/** Counts per task, by name. */
type PerTask = [name: string, perTask: number][];

interface Figures {
  label: string;
  latency: LatencyFigures;
  parts: [string, number][];
  throughput: BatchFigures;
  calls: { sequential: PerTask; batch: PerTask };
  /** Client-event messages between hubs per task in the batch (two hubs only). */
  peers: PerTask;
  commands: { sequential: PerTask; batch: PerTask };
  redisTime: { sequential: PerTask; batch: PerTask };
  persistence?: Persistence;
  cpu: { sequential: PerTask; batch: PerTask };
}

interface Side {
  client: HubClient;
  waiter: FinalWaiter;
  task: TaskSubmission;
}

/** What is read around a measurement: the hubs' store calls, Redis's command counts, every process's CPU. */
interface Probes {
  hubs: HubProcess[];
  endpoints: EndpointProcess[];
  redis?: RedisProcess;
}

/**
 * A client on `clientHub` running the no-op on an endpoint `name` whose daemon is connected to `endpointHub`;
 * the client is the hubs' local user, or the user of `token` (then the endpoint is public).
 */
async function side(clientHub: HubProcess, endpointHub: HubProcess, name: string, token?: string): Promise<Side & { endpoint: EndpointProcess }> {
  const endpoint = await configureEndpoint(endpointHub, { name, workers, python, public: token !== undefined });
  await endpoint.start();
  const client = new HubClient({ hubUrl: clientHub.url, token: token ?? clientHub.token, transports: ['websocket'] });
  await client.connect();
  const waiter = new FinalWaiter(client);
  const { function_id } = await client.registerFunction({ name: 'noop', language: 'python', entrypoint: 'noop', source: NOOP_SOURCE });
  return { client, waiter, task: { function_id, endpoint: endpoint.endpointId }, endpoint };
}

/** A counter of the hubs' `/metrics`, summed over the hubs, by its labels' values (joined with a space). */
async function hubCounter(hubs: HubProcess[], name: string): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  const line = new RegExp(`^${name}\\{([^}]*)\\} (\\d+)`, 'gm');
  for (const hub of hubs) {
    const text = await (await fetch(`${hub.url}/metrics`)).text();
    for (const match of text.matchAll(line)) {
      const key = [...match[1].matchAll(/="([^"]*)"/g)].map((value) => value[1]).join(' ');
      totals.set(key, (totals.get(key) ?? 0) + Number(match[2]));
    }
  }
  return totals;
}

/** The hubs' calls to Redis, by store call. */
const storeCalls = (hubs: HubProcess[]) => hubCounter(hubs, 'funcx_store_calls_total');
/** The client-event messages between the hubs, by direction and channel. */
const peerMessages = (hubs: HubProcess[]) => hubCounter(hubs, 'funcx_peer_messages_total');
const PEER_MESSAGE_KINDS = ['published user', 'received user', 'published shared', 'received shared'];

/** Client-event messages between the hubs per task, every kind (none with one hub). */
function peersPerTask(hubs: HubProcess[], before: Map<string, number>, after: Map<string, number>, tasks: number): PerTask {
  if (hubs.length < 2) return [];
  return PEER_MESSAGE_KINDS.map((kind) => [kind, ((after.get(kind) ?? 0) - (before.get(kind) ?? 0)) / tasks]);
}

/** One section of Redis's `INFO`, field by field. */
function redisInfo(redis: RedisProcess, section: string): Map<string, string> {
  const text = execFileSync('redis-cli', ['-p', String(redis.port), 'info', section], { encoding: 'utf8' });
  return new Map([...text.matchAll(/^([^#:\r\n]+):(.*?)\r?$/gm)].map((match) => [match[1], match[2]]));
}

/** Redis's `INFO commandstats` so far, by command: how many calls, and the µs Redis spent in them. */
interface CommandStats {
  calls: Map<string, number>;
  usec: Map<string, number>;
}

function redisCommands(redis: RedisProcess | undefined): CommandStats {
  const stats: CommandStats = { calls: new Map(), usec: new Map() };
  if (!redis) return stats;
  for (const [field, value] of redisInfo(redis, 'commandstats')) {
    const match = /^calls=(\d+),usec=(\d+)/.exec(value);
    if (!field.startsWith('cmdstat_') || !match) continue;
    stats.calls.set(field.slice('cmdstat_'.length), Number(match[1]));
    stats.usec.set(field.slice('cmdstat_'.length), Number(match[2]));
  }
  return stats;
}

/** How big the Redis data set is after a measurement, and how many AOF rewrites (forks) ran during it. */
interface Persistence {
  usedMemory: number;
  aofRewrites: number;
}

function aofRewrites(redis: RedisProcess | undefined): number {
  return redis ? Number(redisInfo(redis, 'stats').get('total_forks') ?? 0) : 0;
}

function deltaPerTask(before: Map<string, number>, after: Map<string, number>, tasks: number, skip: string[] = []): PerTask {
  const rows: PerTask = [];
  for (const [name, count] of after) {
    const delta = count - (before.get(name) ?? 0);
    if (delta > 0 && !skip.includes(name)) rows.push([name, delta / tasks]);
  }
  return rows.sort((a, b) => b[1] - a[1]);
}

/** The processes whose CPU is counted, by role: hubs, daemons, their managers and workers, redis-server, the client. */
function processes(probes: Probes): [string, number[]][] {
  const daemons = probes.endpoints.map((endpoint) => endpoint.daemonPid()).filter((pid): pid is number => pid !== undefined);
  const below = daemons.flatMap((pid) => processTree(pid).slice(1));
  const roles: [string, number[]][] = [
    [probes.hubs.length > 1 ? `${probes.hubs.length} hubs` : 'hub', probes.hubs.map((hub) => hub.process.pid)],
    [daemons.length > 1 ? `${daemons.length} endpoint daemons` : 'endpoint daemon', daemons],
    ['managers', below.filter(isManager)],
    ['workers', below.filter((pid) => !isManager(pid))],
  ];
  if (probes.redis) roles.push(['redis-server', [probes.redis.process.pid]]);
  return roles;
}

function isManager(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('manager-main');
  } catch {
    return false;
  }
}

/** µs of CPU per task by role while `work` runs `tasks` tasks. */
async function cpuPerTask(probes: Probes, tasks: number, work: () => Promise<void>): Promise<PerTask> {
  const roles = processes(probes);
  const read = () => roles.map(([, pids]) => pids.reduce((sum, pid) => sum + cpuNs(pid), 0));
  const before = read();
  const clientBefore = cpuNs('self');
  await work();
  const after = read();
  const rows: PerTask = roles.map(([role], i) => [role, perTask(before[i], after[i], tasks)]);
  rows.push(['client (this bench)', perTask(clientBefore, cpuNs('self'), tasks)]);
  rows.push(['total', rows.reduce((sum, [, value]) => sum + value, 0)]);
  return rows;
}

/** Commands every hub sends on its own whatever the load (heartbeats, reapers), left out of the per-task counts. */
const BACKGROUND = ['info'];

async function measure(label: string, measured: Side, probes: Probes): Promise<Figures> {
  const { client, waiter, task } = measured;
  log(`${label}: warming up…`);
  await warmUp(client, waiter, task, batch);

  log(`${label}: ${samples} round trips…`);
  const callsBefore = await storeCalls(probes.hubs);
  const commandsBefore = redisCommands(probes.redis);
  const forksBefore = aofRewrites(probes.redis);
  let trips!: TimedRoundTrip[];
  const sequentialCpu = await cpuPerTask(probes, samples, async () => {
    trips = await timedRoundTrips(client, waiter, task, samples);
  });
  const callsBetween = await storeCalls(probes.hubs);
  const commandsBetween = redisCommands(probes.redis);

  log(`${label}: ${batches} batches of ${batch}…`);
  let throughput!: BatchFigures;
  const peersBefore = await peerMessages(probes.hubs);
  const batchCpu = await cpuPerTask(probes, batch * batches, async () => {
    throughput = await batchThroughputs(client, waiter, task, batch, batches);
  });
  const peers = peersPerTask(probes.hubs, peersBefore, await peerMessages(probes.hubs), batch * batches);
  const callsAfter = await storeCalls(probes.hubs);
  const commandsAfter = redisCommands(probes.redis);
  if (waiter.failed > 0) throw new Error(`${label}: ${waiter.failed} no-op tasks failed`);
  return {
    label,
    latency: latencyFigures(trips.map((trip) => trip.finalAt - trip.submitAt)),
    parts: breakdown(trips),
    throughput,
    peers,
    calls: { sequential: deltaPerTask(callsBefore, callsBetween, samples), batch: deltaPerTask(callsBetween, callsAfter, batch * batches) },
    commands: {
      sequential: deltaPerTask(commandsBefore.calls, commandsBetween.calls, samples, BACKGROUND),
      batch: deltaPerTask(commandsBetween.calls, commandsAfter.calls, batch * batches, BACKGROUND),
    },
    redisTime: {
      sequential: deltaPerTask(commandsBefore.usec, commandsBetween.usec, samples, BACKGROUND),
      batch: deltaPerTask(commandsBetween.usec, commandsAfter.usec, batch * batches, BACKGROUND),
    },
    persistence: probes.redis && {
      usedMemory: Number(redisInfo(probes.redis, 'memory').get('used_memory')),
      aofRewrites: aofRewrites(probes.redis) - forksBefore,
    },
    cpu: { sequential: sequentialCpu, batch: batchCpu },
  };
}

/**
 * Both sides submit half the batch at once, `batches` times; the median of tasks per second from the first
 * submit to the last final event.
 */
async function aggregateThroughput(sides: Side[], probes: Probes): Promise<{ throughput: number; cpu: PerTask; peers: PerTask }> {
  const half = Math.floor(batch / sides.length);
  for (const s of sides) for (let i = 0; i < 3; i++) await hubThroughput(s.client, s.waiter, s.task, half);
  const rates: number[] = [];
  const peersBefore = await peerMessages(probes.hubs);
  const cpu = await cpuPerTask(probes, half * sides.length * batches, async () => {
    for (let i = 0; i < batches; i++) {
      const start = performance.now();
      const ends = await Promise.all(
        sides.map(async (s) => {
          const { task_ids } = await s.client.submitLive(Array.from({ length: half }, () => s.task));
          return s.waiter.waitAll(task_ids);
        }),
      );
      rates.push((half * sides.length * 1_000) / (Math.max(...ends) - start));
    }
  });
  return { throughput: quantile(rates, 0.5), cpu, peers: peersPerTask(probes.hubs, peersBefore, await peerMessages(probes.hubs), half * sides.length * batches) };
}

/** The bench submits one task at a time as fast as it can: no rate limit. */
const UNLIMITED = ['--rate-limit', '0'];

interface Aggregate {
  label: string;
  throughput: number;
  cpu: PerTask;
  peers: PerTask;
}

/** Two hubs on a Redis of their own, each with a client and an endpoint; the client on D is `user`'s if given. */
async function twoSided(label: string, user?: string): Promise<Aggregate> {
  const redis = await startRedis();
  const [hubC, hubD] = await hubsOn(redis, ['c', 'd']);
  const onC = await side(hubC, hubC, 'bench-c');
  const onD = await side(hubD, hubD, 'bench-d', user && (await hubD.addUser(user)));
  log(`${label}: both halves of a batch at once…`);
  const aggregate = await aggregateThroughput([onC, onD], { hubs: [hubC, hubD], endpoints: [onC.endpoint, onD.endpoint], redis });
  closeAll([onC, onD]);
  await cleanup();
  return { label, ...aggregate };
}

const closeAll = (sides: Side[]) => sides.forEach((s) => s.client.close());

// Each Redis set-up has a redis-server of its own, so none is measured on the records (and the AOF rewrites) an
// earlier set-up left behind.
const hubsOn = async (redis: RedisProcess, names: string[]) => {
  const store = ['--store', `${redis.url}/0`, ...UNLIMITED];
  return Promise.all(names.map((name) => startHub({ funcxHome: makeTempDir(`funcx-bench-${name}-`), extraArgs: store })));
};

async function run(): Promise<{ figures: Figures[]; aggregates: Aggregate[] }> {
  const figures: Figures[] = [];

  const memoryHub = await startHub({ funcxHome: makeTempDir('funcx-bench-memory-'), extraArgs: UNLIMITED });
  const memory = await side(memoryHub, memoryHub, 'bench-memory');
  figures.push(await measure('embedded store, 1 hub', memory, { hubs: [memoryHub], endpoints: [memory.endpoint] }));
  closeAll([memory]);
  await cleanup();

  const redisOne = await startRedis();
  const [hubOne] = await hubsOn(redisOne, ['one']);
  const single = await side(hubOne, hubOne, 'bench-redis');
  figures.push(await measure('redis store, 1 hub', single, { hubs: [hubOne], endpoints: [single.endpoint], redis: redisOne }));
  closeAll([single]);
  await cleanup();

  const redisAcross = await startRedis();
  const [hubA, hubB] = await hubsOn(redisAcross, ['a', 'b']);
  const across = await side(hubA, hubB, 'bench-across');
  figures.push(await measure('redis store, 2 hubs: client on A, endpoint on B', across, { hubs: [hubA, hubB], endpoints: [across.endpoint], redis: redisAcross }));
  closeAll([across]);
  await cleanup();

  const aggregates = [
    await twoSided('redis store, 2 hubs, a client and an endpoint on each, one user (aggregate)'),
    await twoSided('redis store, 2 hubs, a client and an endpoint on each, a user on each (aggregate)', 'bench-bob'),
  ];
  return { figures, aggregates };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('   ')).join('\n');
}

/** Two per-task columns side by side (sequential, batch), by name, and their totals unless the rows overlap. */
function perTaskColumns(title: string, sequential: PerTask, batchRows: PerTask, totals = true): string {
  const names = [...new Set([...sequential.map(([name]) => name), ...batchRows.map(([name]) => name)])];
  const value = (rows: PerTask, name: string) => rows.find(([n]) => n === name)?.[1].toFixed(2) ?? '-';
  const total = (rows: PerTask) => rows.reduce((sum, [, v]) => sum + v, 0).toFixed(2);
  return table([[title, 'sequential', 'batch'], ...names.map((name) => [`  ${name}`, value(sequential, name), value(batchRows, name)]), ...(totals ? [['  all', total(sequential), total(batchRows)]] : [])]);
}

/** µs of CPU by process: per sequential round trip, and per task in the batch. */
function cpuColumns(sequential: PerTask, batchRows: PerTask): string {
  const value = (rows: PerTask, role: string) => rows.find(([name]) => name === role)?.[1].toFixed(1) ?? '-';
  return table([['CPU by process, µs', 'per round trip', 'per task in the batch'], ...batchRows.map(([role]) => [`  ${role}`, value(sequential, role), value(batchRows, role)])]);
}

/** Messages between hubs per task, with two hubs (`user`: a user's task events; `shared`: endpoints' status). */
function printPeers(peers: PerTask): void {
  if (peers.length === 0) return;
  console.log(`\n${table([['client-event messages between the hubs per task in the batch', ''], ...peers.map(([kind, value]) => [`  ${kind}`, value.toFixed(3)])])}`);
}

try {
  const load = loadAverage();
  const { figures, aggregates } = await run();
  const [embedded] = figures;
  console.log(`\nfuncX stores benchmark: warm no-op, ${samples} sequential round trips, batches of ${batch} tasks (the median of ${batches}), ${workers} workers per endpoint`);
  console.log(`(node ${process.version}, ${python}, redis-server with appendonly yes / appendfsync everysec, ${new Date().toISOString()}, load ${load} at the start, ${loadAverage()} at the end)\n`);
  console.log(
    table([
      ['', 'p50', 'p99', 'mean', 'batch throughput', 'p50 / embedded', 'batch / embedded'],
      ...figures.map((f) => [
        f.label,
        ms(f.latency.p50),
        ms(f.latency.p99),
        ms(f.latency.mean),
        rate(f.throughput.median),
        `${(f.latency.p50 / embedded.latency.p50).toFixed(2)}×`,
        `${(f.throughput.median / embedded.throughput.median).toFixed(2)}×`,
      ]),
      ...aggregates.map((a) => [a.label, '', '', '', rate(a.throughput), '', `${(a.throughput / embedded.throughput.median).toFixed(2)}×`]),
    ]),
  );
  for (const f of figures) {
    console.log(`\n## ${f.label}\n`);
    console.log(table([['median of a sequential round trip', ''], ...f.parts.map(([part, value]) => [`  ${part}`, ms(value)])]));
    console.log(`\nbatches: first ${rate(f.throughput.first)}, lowest ${rate(f.throughput.lowest)}, highest ${rate(f.throughput.highest)}`);
    if (f.calls.sequential.length > 0 || f.calls.batch.length > 0) {
      console.log(`\n${perTaskColumns('calls to Redis per task, by store call (the hubs count them)', f.calls.sequential, f.calls.batch)}`);
    }
    if (f.commands.sequential.length > 0 || f.commands.batch.length > 0) {
      console.log(`\n${perTaskColumns('commands per task, by command (Redis counts them)', f.commands.sequential, f.commands.batch)}`);
      const title = "Redis's time per task, µs, by command (a script's time includes the commands it calls)";
      console.log(`\n${perTaskColumns(title, f.redisTime.sequential, f.redisTime.batch, false)}`);
    }
    if (f.persistence) {
      const { usedMemory, aofRewrites: rewrites } = f.persistence;
      console.log(`\nRedis after the measurement: ${(usedMemory / 2 ** 20).toFixed(0)} MB used; ${rewrites} AOF rewrites (forks) during it`);
    }
    console.log(`\n${cpuColumns(f.cpu.sequential, f.cpu.batch)}`);
    printPeers(f.peers);
  }
  for (const a of aggregates) {
    console.log(`\n## ${a.label}\n`);
    console.log(table([['CPU per task in the batch', 'µs'], ...a.cpu.map(([role, value]) => [`  ${role}`, value.toFixed(1)])]));
    printPeers(a.peers);
  }
} catch (error) {
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
