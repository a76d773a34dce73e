import type { DispatchedTask, StateTimestamps, TaskCompletion, TaskOutput, TaskState } from '@funcx/protocol';
import { epochMs } from '@funcx/node-common';

/** A task an endpoint holds, from the moment it arrives until its completion is reported. */
export interface HeldTask {
  readonly task: DispatchedTask;
  state: TaskState;
  /** Epoch ms (fractional) of each state the task passed through at this endpoint. */
  readonly timestamps: StateTimestamps;
  /** When the task entered its current state (performance.now() ms), to report only states that last. */
  since: number;
  done: boolean;
  /** Its generator's items stream (TaskRecord.streams). */
  streams?: true;
}

/** Where a manager reports what happens to tasks; the daemon batches these towards the hub. */
export interface TaskReporter {
  /** The task moved to a new non-final state (`task.state`, `task.timestamps`). */
  stateChanged(task: HeldTask): void;
  output(taskId: string, output: TaskOutput): void;
  done(completion: TaskCompletion): void;
}

/** Epoch milliseconds with sub-millisecond precision, kept on the wall clock (the workers' stamps are on it). */
export const nowMs = epochMs;
