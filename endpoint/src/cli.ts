#!/usr/bin/env node
import { Command } from 'commander';
import { FuncxError } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { configure, type ConfigureFlags } from './commands/configure.js';
import { list, status } from './commands/inspect.js';
import { startDetached, startForeground, stop } from './commands/lifecycle.js';
import { supervise } from './commands/supervise.js';
import { ENDPOINT_VERSION } from './version.js';

function fail(error: unknown): never {
  const message = error instanceof CliError || error instanceof FuncxError ? error.message : String(error);
  process.stderr.write(`funcx-endpoint: ${message}\n`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}

/** Runs a command's work and prints its message; any error becomes one clear line and a non-zero exit. */
function action<A extends unknown[]>(work: (...args: A) => Promise<string | number> | string) {
  return async (...args: A): Promise<void> => {
    try {
      const outcome = await work(...args);
      if (typeof outcome === 'number') process.exit(outcome);
      process.stdout.write(outcome + '\n');
    } catch (error) {
      fail(error);
    }
  };
}

const program = new Command('funcx-endpoint')
  .description('Turns this machine into a funcX endpoint: registers it with a hub and runs functions on its workers')
  .version(ENDPOINT_VERSION)
  .showHelpAfterError('(run funcx-endpoint --help for usage)');

program
  .command('configure')
  .description('register the endpoint with the hub (again: same id, new token) and write its config.yaml')
  .argument('<name>', 'endpoint name (letters, digits, "_", ".", "-")')
  .option('--hub <url>', 'hub URL (default: FUNCX_HUB_URL or $FUNCX_HOME/credentials.json)')
  .option('--token <token>', 'your user token (default: FUNCX_TOKEN or $FUNCX_HOME/credentials.json)')
  .option('--workers <n>', 'warm Python workers (default 2, or what the config already says)')
  .option('--location <lat,lon>', 'where the endpoint is, for the map, e.g. 41.71,-87.98')
  .option('--site <text>', 'a description of the site, e.g. "Argonne (laptop)"')
  .option('--python <path>', 'Python 3.9+ interpreter for the workers (default python3)')
  .option('--public', 'let every user of the hub run tasks here')
  .option('--container-runtime <kind>', 'run workers in containers: none, podman, docker, apptainer, singularity, shifter, podman-hpc, bwrap, custom')
  .option('--container-image <image>', 'the image of tasks that name none, e.g. localhost/funcx-python:bookworm')
  .option('--max-warm-containers <n>', 'most workers in containers at once, busy or idle (default: workers)')
  .option('--container-idle-s <seconds>', 'stop a container idle this long (default 300)')
  .option('--warm-mode <mode>', 'soft: repurpose an idle worker of another image; hard: wait for one of the task\'s image')
  .action(action((name: string, flags: ConfigureFlags) => configure(name, flags)));

program
  .command('start')
  .description('start the endpoint daemon (detached; returns once it is connected to the hub)')
  .argument('<name>', 'endpoint name')
  .option('--foreground', 'stay attached: log to stdout, stop with Ctrl-C')
  .action(
    action((name: string, flags: { foreground?: boolean }) =>
      flags.foreground ? startForeground(name) : startDetached(name),
    ),
  );

program
  .command('supervise')
  .description('run the daemon in the foreground under a supervisor that restarts it after an unexpected death (what start runs detached)')
  .argument('<name>', 'endpoint name')
  .action(action((name: string) => supervise(name)));

program
  .command('stop')
  .description('stop the endpoint daemon (its workers stop, waiting results are sent) and wait for it to exit')
  .argument('<name>', 'endpoint name')
  .action(action((name: string) => stop(name)));

program
  .command('list')
  .description('list configured endpoints: name, id, running or stopped')
  .action(action(() => list()));

program
  .command('status')
  .description("show an endpoint's configuration and whether its daemon runs")
  .argument('<name>', 'endpoint name')
  .action(action((name: string) => status(name)));

program.parseAsync().catch(fail);
