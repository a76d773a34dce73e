import type { EndpointRecord, FunctionRecord, TaskRecord } from '@funcx/protocol';
import { FuncxError } from '@funcx/protocol';

/** Whether a user may use (run on, run, read) this endpoint or function. */
export function canUse(user: string, record: FunctionRecord | EndpointRecord): boolean {
  return record.owner === user || record.public;
}

export function assertCanUseFunction(user: string, fn: FunctionRecord): void {
  if (!canUse(user, fn)) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Function ${fn.function_id} belongs to another user and is not shared`);
  }
}

export function assertCanUseEndpoint(user: string, endpoint: EndpointRecord): void {
  if (!canUse(user, endpoint)) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Endpoint "${endpoint.name}" belongs to another user and is not shared`);
  }
}

export function assertOwns(user: string, record: FunctionRecord | EndpointRecord, what: string): void {
  if (record.owner !== user) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Only its owner (${record.owner}) may change or delete ${what}`);
  }
}

export function assertOwnsTask(user: string, task: TaskRecord): void {
  if (task.owner !== user) {
    throw new FuncxError('FUNCX_FORBIDDEN', `Task ${task.task_id} belongs to another user`);
  }
}
