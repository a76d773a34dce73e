import { FuncxError, TASK_STATES, type TaskPage, type TaskRecord, type TaskState, type TaskSummary } from '@funcx/protocol';
import type { EndpointDirectory } from '../endpoints/directory.js';
import type { Store, TaskQuery } from '../store/store.js';

export const DEFAULT_TASK_PAGE = 50;
export const MAX_TASK_PAGE = 500;

/** What `GET /v1/tasks` is asked: filters, a page size, and the cursor of the page before. */
export interface TaskListParams {
  state?: string;
  endpoint?: string;
  function?: string;
  task_group?: string;
  limit?: number;
  cursor?: string;
}

/** A page size from the query string: 1 to MAX_TASK_PAGE. */
export function pageSize(text: string): number {
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > MAX_TASK_PAGE) {
    throw new FuncxError('FUNCX_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_TASK_PAGE} (got "${text}")`);
  }
  return size;
}

function encodeCursor(task: TaskRecord): string {
  return Buffer.from(JSON.stringify([task.timestamps.received ?? 0, task.task_id])).toString('base64url');
}

function decodeCursor(cursor: string): TaskQuery['after'] {
  try {
    const [received, taskId] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof received === 'number' && typeof taskId === 'string') return { received, taskId };
  } catch {
    // reported below
  }
  throw new FuncxError('FUNCX_BAD_REQUEST', 'cursor is not one this hub gave: pass the next_cursor of the previous page as it was');
}

function summary(task: TaskRecord): TaskSummary {
  const { args: _args, kwargs: _kwargs, outputs: _outputs, result: _result, ...rest } = task;
  return rest;
}

/** A user's tasks, newest first, one page at a time: the sidebar's recent tasks, `funcx tasks`. */
export async function listTasks(store: Store, endpoints: EndpointDirectory, user: string, params: TaskListParams): Promise<TaskPage> {
  const limit = params.limit ?? DEFAULT_TASK_PAGE;
  const query: TaskQuery = { limit };
  if (params.state !== undefined) {
    if (!(TASK_STATES as readonly string[]).includes(params.state)) {
      throw new FuncxError('FUNCX_BAD_REQUEST', `state must be one of ${TASK_STATES.join(', ')} (got "${params.state}")`);
    }
    query.state = params.state as TaskState;
  }
  if (params.endpoint !== undefined) query.endpointId = (await endpoints.resolve(user, params.endpoint)).endpoint_id;
  if (params.function !== undefined) query.functionId = params.function;
  if (params.task_group !== undefined) query.taskGroup = params.task_group;
  if (params.cursor !== undefined) query.after = decodeCursor(params.cursor);
  const tasks = await store.listTasks(user, query);
  const page: TaskPage = { tasks: tasks.map(summary) };
  if (tasks.length === limit) page.next_cursor = encodeCursor(tasks[tasks.length - 1]);
  return page;
}
