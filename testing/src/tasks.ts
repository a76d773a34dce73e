import { isFinalState, type TaskRecord } from '@funcx/protocol';
import { waitFor } from './wait.js';

/** Polls a task's record (through `getTask`) until it is in a final state, and returns it. */
export function finalRecord(getTask: () => Promise<TaskRecord>, what: string, timeoutMs = 30_000): Promise<TaskRecord> {
  return waitFor(
    async () => {
      const task = await getTask();
      return isFinalState(task.state) && task;
    },
    { what: `${what} finished`, timeoutMs, intervalMs: 50 },
  ) as Promise<TaskRecord>;
}
