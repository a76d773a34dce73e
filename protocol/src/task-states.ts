/** Task states in the order a task moves through them. */
export const TASK_STATES = [
  'received',
  'waiting-for-endpoint',
  'waiting-for-nodes',
  'waiting-for-launch',
  'running',
  'success',
  'failed',
  'cancelled',
] as const;

export type TaskState = (typeof TASK_STATES)[number];
export type FinalTaskState = 'success' | 'failed' | 'cancelled';

export const FINAL_TASK_STATES: ReadonlySet<TaskState> = new Set<TaskState>(['success', 'failed', 'cancelled']);

export function isFinalState(state: TaskState): state is FinalTaskState {
  return FINAL_TASK_STATES.has(state);
}

/** Epoch milliseconds (fractional: sub-millisecond precision) at which the task entered each state. */
export type StateTimestamps = Partial<Record<TaskState, number>>;
