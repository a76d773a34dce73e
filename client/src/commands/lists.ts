import { endpointRef, endpointStatus, sharingState, type FunctionSummary } from '@funcx/protocol';
import { formatAgo, table } from '../format.js';
import type { HubClient } from '../hub-client.js';

export async function endpointsCommand(client: HubClient): Promise<number> {
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
function sharingSummary(fn: FunctionSummary): string {
  const { public: isPublic, shared_with: { users, groups } } = sharingState(fn);
  if (isPublic) return 'public';
  const parts: string[] = [];
  if (users.length > 0) parts.push(`users ${users.join(', ')}`);
  if (groups.length > 0) parts.push(`groups ${groups.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'private';
}
