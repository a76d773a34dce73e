/** A task that ran at most this long lets its worker take twice as many tasks at once; a slower one resets it to 1. */
export const QUICK_TASK_MS = 2;
/**
 * Work handed to a worker ahead of time is bounded by this many milliseconds of tasks as long as the last one,
 * so tiny tasks go out (and come back) in large batches while a task queued behind a slow one waits little.
 */
export const PREFETCH_WORK_MS = 4;
export const DEFAULT_MAX_PREFETCH = 256;

/** How many tasks a worker may hold at once, now that its last task ran for `ranMs`. */
export function nextPrefetch(current: number, ranMs: number, max: number): number {
  if (ranMs > QUICK_TASK_MS) return 1;
  return Math.max(1, Math.min(max, current * 2, Math.floor(PREFETCH_WORK_MS / ranMs)));
}
