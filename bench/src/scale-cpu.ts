import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Nanoseconds the process has spent on a CPU (kernel work included), from /proc/PID/schedstat; NaN where absent. */
export function cpuNs(pid: number | 'self'): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** CPU time of several processes, read together. */
export function cpuOf(pids: number[]): number[] {
  return pids.map((pid) => cpuNs(pid));
}

/** µs of CPU per task between two readings. */
export function perTask(beforeNs: number, afterNs: number, tasks: number): number {
  return (afterNs - beforeNs) / 1_000 / tasks;
}

/** The 1, 5 and 15 minute load averages, as printed beside every figure. */
export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

