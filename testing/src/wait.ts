import { isFinalState, type TaskRecord } from '@funcx/protocol';

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what?: string;
}

/** Polls `probe` until it returns a value other than undefined/false; rejects after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: WaitForOptions = {},
): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How long withTimeout waits for its `explain` before it rejects without. */
const EXPLAIN_TIMEOUT_MS = 5_000;

/**
 * Rejects if `promise` has not settled within `timeoutMs`. `explain`, if given, is asked what the test can see at
 * that moment (a record, the tails of process logs), and its answer ends the error's message.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what = 'operation',
  explain?: () => Promise<string> | string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `${what} did not finish within ${timeoutMs} ms`;
      if (!explain) return reject(new Error(message));
      let explained: NodeJS.Timeout | undefined;
      const silent = new Promise<never>((_, fail) => {
        explained = setTimeout(() => fail(new Error(`no answer within ${EXPLAIN_TIMEOUT_MS} ms`)), EXPLAIN_TIMEOUT_MS);
      });
      Promise.race([Promise.resolve().then(explain), silent])
        .then(
          (seen) => reject(new Error(`${message}\n${seen}`)),
          (error: unknown) => reject(new Error(`${message} (and explaining it failed: ${(error as Error).message})`)),
        )
        .finally(() => clearTimeout(explained));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The task's record once it has ended, read through `reader` (a HubClient) every `intervalMs`. */
export function taskFinished(
  reader: { getTask(taskId: string): Promise<TaskRecord> },
  taskId: string,
  options: WaitForOptions = {},
): Promise<TaskRecord> {
  return waitFor(
    async () => {
      const task = await reader.getTask(taskId);
      return isFinalState(task.state) && task;
    },
    { what: `task ${taskId} finished`, timeoutMs: 60_000, intervalMs: 30, ...options },
  );
}
