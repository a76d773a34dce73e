import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../config.js';
import { runningPid, runningSupervisorPid } from '../daemon-process.js';
import { EXIT_NO_RESTART } from '../exit-codes.js';
import { createLog } from '../log.js';
import { endpointPaths } from '../paths.js';
import { describeExit } from '../worker-pool.js';
import { CliError } from '@funcx/node-common';

const CLI_SCRIPT = fileURLToPath(new URL('../cli.js', import.meta.url));
/** The first restart waits this long; each further death soon after a start doubles it. */
export const RESTART_DELAY_MS = 500;
/** A daemon that dies within this long of starting counts as failing fast. */
export const FAST_FAILURE_MS = 10_000;
/** After this many fast failures in a row the supervisor gives up. */
export const MAX_FAST_FAILURES = 5;

/**
 * What follows a daemon's death: a restart after `delayMs`, or none (giving up) when it has now failed fast
 * MAX_FAST_FAILURES times in a row. A daemon that ran a while before dying starts the count afresh.
 */
export function afterDeath(fastFailures: number, livedMs: number): { fastFailures: number; delayMs?: number } {
  const count = livedMs < FAST_FAILURE_MS ? fastFailures + 1 : 0;
  if (count >= MAX_FAST_FAILURES) return { fastFailures: count };
  return { fastFailures: count, delayMs: RESTART_DELAY_MS * 2 ** Math.max(0, count - 1) };
}

/** The message a daemon sends its parent once connected; a supervisor passes the first one on to `start`. */
export interface ConnectedMessage {
  type: 'connected';
  pid: number;
}

/**
 * `supervise NAME` (what `start` runs detached): runs the daemon (`start NAME --foreground`) as its child and
 * starts it again after an unexpected death (a signal, a crash, a task that killed it), waiting 0.5 s, then
 * twice as long after each death that follows a start closely; gives up after repeated fast failures. A daemon
 * that stopped (exit 0) or cannot run (exit 78) is not restarted. SIGTERM stops the daemon, then the supervisor.
 */
export async function supervise(name: string, env = process.env): Promise<number> {
  readConfig(name, env);
  const paths = endpointPaths(name, env);
  const other = runningSupervisorPid(name, env);
  if (other !== undefined && other !== process.pid) throw new CliError(`endpoint ${name} is already supervised (pid ${other})`, EXIT_NO_RESTART);
  const daemonPid = runningPid(name, env);
  if (daemonPid !== undefined) throw new CliError(`endpoint ${name} is already running (pid ${daemonPid})`, EXIT_NO_RESTART);
  writeFileSync(paths.supervisorPid, `${process.pid}\n`);
  const log = createLog(process.stdout);
  let child: ChildProcess | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let fastFailures = 0;

  const code = await new Promise<number>((resolve) => {
    const launch = (): void => {
      const startedAt = Date.now();
      const daemon = spawn(process.execPath, [CLI_SCRIPT, 'start', name, '--foreground'], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env,
      });
      child = daemon;
      daemon.on('message', (message: ConnectedMessage) => {
        if (message?.type !== 'connected' || !process.send || !process.connected) return;
        try {
          process.send(message);
          process.disconnect();
        } catch {
          // `start` gave up waiting; the daemon runs on
        }
      });
      daemon.on('error', (error) => log('error', `could not run the daemon: ${error.message}`));
      daemon.on('exit', (exitCode, signal) => {
        child = undefined;
        if (stopping || exitCode === 0) return resolve(0);
        if (exitCode === EXIT_NO_RESTART) {
          log('error', `the daemon cannot run (exit code ${exitCode}, see above); not restarting it`);
          return resolve(exitCode);
        }
        const next = afterDeath(fastFailures, Date.now() - startedAt);
        fastFailures = next.fastFailures;
        if (next.delayMs === undefined) {
          log(
            'error',
            `the daemon died ${fastFailures} times in a row within ${FAST_FAILURE_MS / 1000} s of starting ` +
              `(last: ${describeExit(exitCode, signal)}); giving up: the lines above say why`,
          );
          return resolve(1);
        }
        log('warn', `the daemon died (${describeExit(exitCode, signal)}); restarting it in ${next.delayMs / 1000} s`);
        restartTimer = setTimeout(launch, next.delayMs);
      });
    };
    const stop = (): void => {
      stopping = true;
      clearTimeout(restartTimer);
      if (child) child.kill('SIGTERM');
      else resolve(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    launch();
  });
  rmSync(paths.supervisorPid, { force: true });
  return code;
}
