import { constants } from 'node:os';

/** "exit code 3" or "signal SIGKILL". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `signal ${signal}`;
  if (code !== null) return `exit code ${code}`;
  return 'it could not be run';
}

/**
 * How a container's worker ended, as a bare worker's would read: a container client reports a signal that
 * killed the container's process as 128 + N.
 */
export function describeContainerExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === null && code !== null && code > 128 && code < 160) {
    const name = Object.entries(constants.signals).find(([, number]) => number === code - 128)?.[0];
    if (name) return `signal ${name}`;
  }
  return describeExit(code, signal);
}
