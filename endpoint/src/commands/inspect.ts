import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describeBlock, type BlockStatus, type SessionStatus } from '@funcx/protocol';
import { readConfig, type EndpointConfig } from '../config.js';
import { resolveStrategy } from '../config-blocks.js';
import { DEFAULT_CONTAINER_IDLE_S, DEFAULT_WARM_MODE } from '../config-containers.js';
import type { ContainerStatus } from '../daemon-containers.js';
import { runningPid, runningSupervisorPid } from '../daemon-process.js';
import { endpointPaths, endpointsDir } from '../paths.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

/** `list`: one row per configured endpoint: name, id, running or stopped. */
export function list(env = process.env): string {
  const dir = endpointsDir(env);
  const names = existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && existsSync(endpointPaths(entry.name, env).config))
        .map((entry) => entry.name)
        .sort()
    : [];
  if (names.length === 0) return 'no endpoints configured (create one with: funcx-endpoint configure NAME)';
  const rows = [['NAME', 'ENDPOINT ID', 'STATE']];
  for (const name of names) {
    let id: string;
    try {
      id = readConfig(name, env).endpoint_id;
    } catch {
      rows.push([name, '-', 'invalid config (see funcx-endpoint status ' + name + ')']);
      continue;
    }
    rows.push([name, id, runningPid(name, env) === undefined ? 'stopped' : 'running']);
  }
  return table(rows);
}

function strategyRows(config: EndpointConfig): string[][] {
  if (config.provider === 'local' && config.max_blocks === undefined) return [];
  const strategy = resolveStrategy(config, config.provider);
  return [['blocks wanted', `${strategy.initBlocks} at start, ${strategy.minBlocks} to ${strategy.maxBlocks}, ${strategy.nodesPerBlock} node(s) each, idle ones go after ${strategy.maxIdleMs / 1000} s`]];
}

function describeConfig(config: EndpointConfig): string[][] {
  const rows = [
    ['name', config.name],
    ['endpoint id', config.endpoint_id],
    ['hub', config.hub_url],
    ['provider', config.provider],
    ...strategyRows(config),
    ['workers', String(config.workers)],
    ['python', config.python],
    ['sandbox', config.sandbox ?? 'auto'],
  ];
  if (config.container_runtime && config.container_runtime !== 'none') {
    const warm = config.max_warm_containers ?? config.workers;
    const idle = config.container_idle_s ?? DEFAULT_CONTAINER_IDLE_S;
    rows.push(['containers', `${config.container_runtime}, at most ${warm} warm, stopped after ${idle} s idle, ${config.warm_mode ?? DEFAULT_WARM_MODE} mode`]);
    if (config.container_image) rows.push(['default image', config.container_image]);
  }
  if (config.public) rows.push(['public', 'yes: every user of the hub may run tasks here']);
  if (config.location) rows.push(['location', `${config.location.lat}, ${config.location.lon}`]);
  if (config.site !== undefined) rows.push(['site', config.site]);
  return rows;
}

/** What the running daemon says of its containers: a runtime it cannot run, the last failure per image. */
function containerRows(path: string): string[][] {
  let status: ContainerStatus;
  try {
    status = JSON.parse(readFileSync(path, 'utf8')) as ContainerStatus;
  } catch {
    return [];
  }
  const rows: string[][] = [];
  if (status.problem && status.runtime !== 'none') rows.push(['container problem', status.problem]);
  for (const [image, failure] of Object.entries(status.failures ?? {})) {
    rows.push([`container failure`, `${image} at ${new Date(failure.at).toISOString()}: ${failure.message}`]);
  }
  return rows;
}

/** One row per block, then one per session, that the running daemon reported at its last heartbeat. */
function blockRows(path: string): string[][] {
  let saved: { blocks?: BlockStatus[]; sessions?: SessionStatus[]; max_sessions?: number };
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as typeof saved;
  } catch {
    return [];
  }
  const blocks = saved.blocks ?? [];
  const rows = blocks.length === 0 ? [['blocks', 'none']] : blocks.map((block) => ['block', describeBlock(block)]);
  const sessions = saved.sessions ?? [];
  rows.push(['sessions', `${sessions.length} of at most ${saved.max_sessions ?? '?'}`]);
  for (const session of sessions) {
    rows.push(['session', `${session.owner}/${session.name} ${session.state}, ${session.tasks} task(s) run, ${session.queued} waiting`]);
  }
  return rows;
}

/** `status NAME`: the config (without its token), files, and whether the daemon runs. */
export function status(name: string, env = process.env): string {
  const config = readConfig(name, env);
  const paths = endpointPaths(name, env);
  const pid = runningPid(name, env);
  const supervisor = runningSupervisorPid(name, env);
  const state = pid === undefined ? 'stopped' : `running (pid ${pid})`;
  const rows = [
    ...describeConfig(config),
    ['config', paths.config],
    ['log', paths.log],
    ['state', supervisor === undefined ? state : `${state}, supervised (pid ${supervisor})`],
  ];
  if (pid !== undefined) rows.push(...blockRows(paths.blocks), ...containerRows(paths.containers));
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  return rows.map(([key, value]) => `${(key + ':').padEnd(width)} ${value}`).join('\n');
}
