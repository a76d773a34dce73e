import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../config.js';
import { startDaemon } from '../daemon.js';
import { isAlive, runningPid, runningSupervisorPid } from '../daemon-process.js';
import { EXIT_NO_RESTART } from '../exit-codes.js';
import { createLog } from '../log.js';
import { endpointPaths } from '../paths.js';
import { CliError } from '@funcx/node-common';
import type { ConnectedMessage } from './supervise.js';

const CLI_SCRIPT = fileURLToPath(new URL('../cli.js', import.meta.url));
/** How long `start` waits for the daemon to connect (FUNCX_START_TIMEOUT_S overrides). */
function startTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.FUNCX_START_TIMEOUT_S);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 15_000;
}
const STOP_TIMEOUT_MS = 15_000;

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** `start NAME --foreground`: runs the daemon in this process until SIGTERM/SIGINT. */
export async function startForeground(name: string, env = process.env): Promise<number> {
  let config;
  try {
    config = readConfig(name, env);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT_NO_RESTART);
  }
  const pid = runningPid(name, env);
  if (pid !== undefined && pid !== process.pid) throw new CliError(`endpoint ${name} is already running (pid ${pid})`, EXIT_NO_RESTART);
  const log = createLog(process.stdout);
  let daemon;
  try {
    daemon = await startDaemon(config, {
      log,
      env,
      onConnected: () => {
        if (process.send && process.connected) {
          try {
            process.send({ type: 'connected', pid: process.pid } satisfies ConnectedMessage);
            process.disconnect();
          } catch {
            // the parent gave up waiting; the daemon runs on
          }
        }
      },
    });
  } catch (error) {
    throw new CliError(`endpoint ${name} could not start: ${(error as Error).message}`, EXIT_NO_RESTART);
  }
  const stop = () => void daemon.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return daemon.finished;
}

/**
 * `start NAME`: runs the daemon detached, under a supervisor that restarts it after an unexpected death, and
 * returns once the daemon is connected to the hub.
 */
export async function startDetached(name: string, env = process.env): Promise<string> {
  const config = readConfig(name, env);
  const paths = endpointPaths(name, env);
  const running = runningPid(name, env);
  if (running !== undefined) throw new CliError(`endpoint ${name} is already running (pid ${running})`);
  const supervisor = runningSupervisorPid(name, env);
  if (supervisor !== undefined) throw new CliError(`endpoint ${name} is already running (supervisor pid ${supervisor})`);
  mkdirSync(paths.dir, { recursive: true });
  const logFd = openSync(paths.log, 'a');
  const child = spawn(process.execPath, [CLI_SCRIPT, 'supervise', name], {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'ipc'],
    env,
  });
  closeSync(logFd);
  const timeoutMs = startTimeoutMs(env);
  const outcome = await new Promise<{ ok: true; pid: number } | { ok: false; why: string }>((resolve) => {
    const timer = setTimeout(
      () => resolve({ ok: false, why: `it did not connect to the hub at ${config.hub_url} within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    child.on('message', (message: ConnectedMessage) => {
      if (message?.type !== 'connected') return;
      clearTimeout(timer);
      resolve({ ok: true, pid: message.pid });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: false, why: `the daemon's supervisor exited (${signal ? `signal ${signal}` : `exit code ${code}`})` });
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, why: error.message });
    });
  });
  if (!outcome.ok) {
    const daemon = runningPid(name, env);
    if (child.exitCode === null && child.pid) child.kill('SIGKILL');
    if (daemon !== undefined) process.kill(daemon, 'SIGKILL');
    rmSync(paths.pid, { force: true });
    rmSync(paths.supervisorPid, { force: true });
    throw new CliError(
      `endpoint ${name} did not start: ${outcome.why}. Last lines of ${paths.log}:\n${logTail(paths.log)}`,
    );
  }
  if (child.connected) child.disconnect();
  child.unref();
  return `endpoint ${name} started (pid ${outcome.pid})\nits supervisor (pid ${child.pid}) starts it again if it dies`;
}

/** `stop NAME`: SIGTERM to the supervisor (or the daemon run in the foreground), then waits for both to exit. */
export async function stop(name: string, env = process.env): Promise<string> {
  readConfig(name, env);
  const supervisor = runningSupervisorPid(name, env);
  const daemon = runningPid(name, env);
  if (supervisor === undefined && daemon === undefined) throw new CliError(`endpoint ${name} is not running`);
  process.kill(supervisor ?? daemon!, 'SIGTERM');
  const pids = [supervisor, daemon].filter((pid): pid is number => pid !== undefined);
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) {
      for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      const paths = endpointPaths(name, env);
      rmSync(paths.pid, { force: true });
      rmSync(paths.supervisorPid, { force: true });
      return `endpoint ${name} did not stop within ${STOP_TIMEOUT_MS / 1000} s and was killed (pid ${pids.join(', ')})`;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return `endpoint ${name} stopped`;
}
