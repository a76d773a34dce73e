import { readFileSync, rmSync } from 'node:fs';
import { endpointPaths } from './paths.js';

/** The pid of the endpoint's running daemon, or undefined (a stale pid file is removed). */
export function runningPid(name: string, env?: NodeJS.ProcessEnv): number | undefined {
  return livePid(endpointPaths(name, env).pid, name, '--foreground');
}

/** The pid of the supervisor that `start` runs for the endpoint, or undefined. */
export function runningSupervisorPid(name: string, env?: NodeJS.ProcessEnv): number | undefined {
  return livePid(endpointPaths(name, env).supervisorPid, name, 'supervise');
}

function livePid(path: string, name: string, marker: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
  if (Number.isInteger(pid) && pid > 0 && runs(pid, name, marker)) return pid;
  rmSync(path, { force: true });
  return undefined;
}

function runs(pid: number, name: string, marker: string): boolean {
  if (!isAlive(pid)) return false;
  // A reused pid belongs to some other program: check the command line where /proc exists.
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true;
  }
  const args = cmdline.split('\0');
  return args.includes(marker) && args.includes(name);
}

/** True while the process runs (an exited one waiting to be reaped by init counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
