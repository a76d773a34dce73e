import { describeBlock, endpointRef, endpointStatus, sharingState, type FunctionSummary, type TaskState } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { formatAgo, formatDuration, table } from '../format.js';
import { resolveFunction } from './function-ref.js';
import type { HubClient } from '../hub-client.js';

export async function endpointsCommand(client: HubClient, flags: { blocks?: boolean } = {}): Promise<number> {
  const endpoints = await client.listEndpoints();
  if (endpoints.length === 0) {
    process.stdout.write('no endpoints yet: add one with `funcx-endpoint configure NAME` and start it\n');
    return 0;
  }
  const { user } = await client.whoami();
  const rows = endpoints.map((endpoint) => [
    endpointRef(user, endpoint),
    endpoint.endpoint_id,
    endpointStatus(endpoint),
    `${endpoint.status.workers_busy}/${endpoint.status.workers_total}`,
    String(endpoint.status.queued),
    String(endpoint.status.running),
    formatAgo(endpoint.status.last_heartbeat),
    endpoint.site ?? '',
  ]);
  const header = ['NAME', 'ID', 'STATUS', 'WORKERS', 'QUEUED', 'RUNNING', 'HEARTBEAT', 'SITE'];
  process.stdout.write(`${table(header, rows)}\n`);
  if (flags.blocks) {
    const blockRows = endpoints.flatMap((endpoint) =>
      (endpoint.status.blocks ?? []).map((block) => [endpointRef(user, endpoint), endpoint.status.provider ?? '', describeBlock(block)]),
    );
    process.stdout.write(blockRows.length > 0 ? `\n${table(['ENDPOINT', 'PROVIDER', 'BLOCK'], blockRows)}\n` : '\nno blocks reported\n');
  }
  return 0;
}

export async function functionsCommand(client: HubClient): Promise<number> {
  const functions = await client.listFunctions();
  if (functions.length === 0) {
    process.stdout.write('no functions yet: register one with `funcx register FILE.py`\n');
    return 0;
  }
  const rows = functions.map((fn) => [
    fn.name,
    fn.function_id,
    fn.entrypoint ?? '(cell)',
    sharingSummary(fn),
    fn.owner,
    new Date(fn.created_at).toISOString(),
    fn.description ?? '',
  ]);
  const header = ['NAME', 'ID', 'ENTRYPOINT', 'SHARING', 'OWNER', 'CREATED', 'DESCRIPTION'];
  process.stdout.write(`${table(header, rows)}\n`);
  return 0;
}

/** `public`, `private`, or whom it is shared with: `users bob, carol; groups lab`. */
export function sharingSummary(record: Pick<FunctionSummary, 'public' | 'shared_with'>): string {
  const { public: isPublic, shared_with: { users, groups } } = sharingState(record);
  if (isPublic) return 'public';
  const parts: string[] = [];
  if (users.length > 0) parts.push(`users ${users.join(', ')}`);
  if (groups.length > 0) parts.push(`groups ${groups.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'private';
}

export interface TasksFlags {
  state?: TaskState;
  endpoint?: string;
  function?: string;
  limit?: string;
  cursor?: string;
}

/** `funcx tasks`: your tasks, newest first, one page at a time. */
export async function tasksCommand(client: HubClient, flags: TasksFlags): Promise<number> {
  const limit = flags.limit === undefined ? undefined : Number(flags.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new CliError(`--limit must be a whole number, 1 or more (got "${flags.limit}")`, 2);
  const functionId = flags.function === undefined ? undefined : await resolveFunction(client, flags.function);
  const page = await client.listTasks({ state: flags.state, endpoint: flags.endpoint, function: functionId, limit, cursor: flags.cursor });
  if (page.tasks.length === 0) {
    process.stdout.write(flags.cursor ? 'no more tasks\n' : 'no tasks yet: run one with `funcx run FILE.py --endpoint NAME`\n');
    return 0;
  }
  const endpoints = new Map((await client.listEndpoints()).map((endpoint) => [endpoint.endpoint_id, endpoint.name]));
  const rows = page.tasks.map((task) => {
    const times = Object.values(task.timestamps).filter((time): time is number => time !== undefined);
    return [
      task.task_id,
      task.state,
      endpoints.get(task.endpoint_id) ?? task.endpoint_id,
      task.function_id,
      task.timestamps.received === undefined ? '' : new Date(task.timestamps.received).toISOString(),
      times.length > 1 ? formatDuration(Math.max(...times) - Math.min(...times)) : '',
    ];
  });
  process.stdout.write(`${table(['TASK', 'STATE', 'ENDPOINT', 'FUNCTION', 'RECEIVED', 'TOOK'], rows)}\n`);
  if (page.next_cursor) process.stdout.write(`more: funcx tasks --cursor ${page.next_cursor}\n`);
  return 0;
}
