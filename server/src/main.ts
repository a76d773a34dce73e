#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_HUB_PORT } from '@funcx/protocol';
import { startHub } from './hub.js';
import { DEFAULT_HOST, DEFAULT_RATE_LIMIT, defaultDataDir, defaultFuncxHome } from './options.js';
import { addUser } from './users.js';
import { HUB_VERSION } from './version.js';

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
  .option('--store <kind>', 'where the hub keeps its state: memory (embedded, persisted in --data-dir)', 'memory')
  .option('--data-dir <dir>', 'directory of the embedded store (default $FUNCX_HOME/hub)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (logs go to stderr)', 'info')
  .option('--rate-limit <n>', 'REST task submissions per second per token (0: no limit)', integer('--rate-limit', 0, 1e9), DEFAULT_RATE_LIMIT)
  .action(async (options: { host: string; port: number; store: string; dataDir?: string; logLevel: string; rateLimit: number }) => {
    if (options.store !== 'memory') {
      program.error(`error: --store ${options.store} is not available; use --store memory`, { exitCode: 2 });
    }
    const hub = await startHub({
      host: options.host,
      port: options.port,
      store: 'memory',
      dataDir: options.dataDir ?? defaultDataDir(),
      funcxHome: defaultFuncxHome(),
      logLevel: options.logLevel,
      rateLimit: options.rateLimit,
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

program
  .command('users')
  .description('manage users')
  .command('add <name>')
  .description("create a user (or a new token for one) and print the token; works while the hub runs")
  .option('--data-dir <dir>', 'directory of the embedded store (default $FUNCX_HOME/hub)')
  .action((name: string, options: { dataDir?: string }) => {
    process.stdout.write(addUser(options.dataDir ?? defaultDataDir(), name) + '\n');
  });

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`funcx-hub: ${(error as Error).message}\n`);
  process.exit(1);
});
