#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_HUB_PORT } from '@funcx/protocol';
import { startHub } from './hub.js';
import { funcxHome } from '@funcx/node-common';
import { DEFAULT_HOST, DEFAULT_RATE_LIMIT, DEFAULT_REQUEST_RATE_LIMIT, defaultDataDir } from './options.js';
import { auditCommand } from './cli/audit.js';
import { groupsCommand } from './cli/groups.js';
import { usersCommand } from './cli/users.js';
import { storeSpecError } from './store/open-store.js';
import { HUB_VERSION } from './version.js';

function hours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('--result-retention must be a number of hours, 0 or more');
  return n;
}

function memoHours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('--memo-ttl must be a number of hours above 0, e.g. 24 or 0.5');
  return n;
}

function seconds(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0.5 || n > 3600) throw new InvalidArgumentError(`${name} must be a number of seconds from 0.5 to 3600`);
    return n;
  };
}

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

const program = new Command('funcx-hub')
  .description('The funcX hub: registers functions and endpoints, routes tasks, streams results back')
  .version(HUB_VERSION)
  .enablePositionalOptions()
  .option('--host <host>', 'address to listen on', DEFAULT_HOST)
  .option('--port <port>', 'port to listen on (0: any free port)', integer('--port', 0, 65535), DEFAULT_HUB_PORT)
  .option('--store <kind>', 'where the hub keeps its state: memory (embedded, persisted in --data-dir) or redis://HOST:PORT/DB (shared by several hubs)', 'memory')
  .option('--result-retention <hours>', 'how long the Redis store keeps finished tasks and their results (0: forever)', hours, 168)
  .option('--data-dir <dir>', 'directory of the embedded store (default $FUNCX_HOME/hub)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (logs go to stderr)', 'info')
  .option('--rate-limit <n>', 'task submissions (REST or socket; a batch counts once) per second per user (0: no limit)', integer('--rate-limit', 0, 1e9), DEFAULT_RATE_LIMIT)
  .option('--request-rate-limit <n>', 'requests of any kind per second per user (0: no limit)', integer('--request-rate-limit', 0, 1e9), DEFAULT_REQUEST_RATE_LIMIT)
  .option('--public-url <url>', "the hub's URL as action providers reach it, for their callbacks (default: the address it listens on)")
  .option('--action-url-prefix <prefix...>', 'only call action providers whose URL starts with one of these (default: any http(s) URL)')
  .option('--flow-lease <seconds>', "how long a hub's hold on a flow run lasts unrenewed: another hub sharing the store carries the run on after it", seconds('--flow-lease'), 10)
  .option('--memo-ttl <hours>', 'how long a memoized result (pure functions, tasks with cache: true) is used after its task finished', memoHours, 24)
  .option('--memo-user-mb <n>', 'MiB of memoized results kept per user (the oldest go first)', integer('--memo-user-mb', 1, 1_000_000), 256)
  .action(async (options: { memoTtl: number; memoUserMb: number; host: string; port: number; store: string; dataDir?: string; logLevel: string; rateLimit: number; requestRateLimit: number; resultRetention: number; publicUrl?: string; actionUrlPrefix?: string[]; flowLease: number }) => {
    const storeError = storeSpecError(options.store);
    if (storeError) program.error(`error: ${storeError}`, { exitCode: 2 });
    const hub = await startHub({
      host: options.host,
      port: options.port,
      store: options.store,
      resultRetentionMs: options.resultRetention * 3600 * 1000,
      dataDir: options.dataDir ?? defaultDataDir(),
      funcxHome: funcxHome(),
      logLevel: options.logLevel,
      rateLimit: options.rateLimit,
      requestRateLimit: options.requestRateLimit,
      publicUrl: options.publicUrl?.replace(/\/+$/, ''),
      actionUrlPrefixes: options.actionUrlPrefix,
      flowLeaseMs: options.flowLease * 1000,
      memoTtlMs: options.memoTtl * 3600 * 1000,
      memoUserBytes: options.memoUserMb * 1024 * 1024,
    });
    process.stdout.write(`funcx hub listening on ${hub.url}\n`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      hub.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

usersCommand(program);
groupsCommand(program);
auditCommand(program);

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`funcx-hub: ${(error as Error).message}\n`);
  process.exit(1);
});
