import type { TaskRecord } from '@funcx/protocol';

/** A task record as the hub holds one that is running, with any field replaced. */
export function runningTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    task_id: '00000000-0000-4000-8000-000000000000',
    function_id: '00000000-0000-4000-8000-000000000001',
    endpoint_id: '00000000-0000-4000-8000-000000000002',
    owner: 'alice',
    args: [],
    kwargs: {},
    state: 'running',
    timestamps: { received: 1, running: 2 },
    attempts: 1,
    outputs: [],
    ...overrides,
  };
}
