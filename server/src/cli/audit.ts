import { InvalidArgumentError, type Command } from 'commander';
import { MAX_AUDIT_LIMIT, table, type AuditEntry } from '@funcx/protocol';
import { parseTime } from '../audit/entries.js';
import { storeFlags, withAccounts, type StoreFlags } from './account-store.js';

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_AUDIT_LIMIT) throw new InvalidArgumentError(`--limit must be an integer from 1 to ${MAX_AUDIT_LIMIT}`);
  return n;
}

function parseSince(value: string): number {
  const n = parseTime(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('--since must be a date (2026-12-01T10:00:00Z) or epoch milliseconds');
  return n;
}

/** What an entry acted on, in one cell. */
function what(entry: AuditEntry): string {
  const parts: string[] = [];
  if (entry.target !== undefined) parts.push(entry.target);
  if (entry.task_count !== undefined) parts.push(`${entry.task_count} task${entry.task_count === 1 ? '' : 's'}`);
  if (entry.function_ids?.length) parts.push(`function ${entry.function_ids.join(', ')}`);
  if (entry.batch_id) parts.push(`batch ${entry.batch_id}`);
  if (entry.task_id) parts.push(`task ${entry.task_id}`);
  if (entry.detail) parts.push(JSON.stringify(entry.detail));
  return parts.join('; ');
}

/** `funcx-hub audit`: the newest entries of the audit log, oldest first. */
export function auditCommand(program: Command): void {
  storeFlags(program.command('audit'))
    .description('show who did what where: submissions, registrations, deletions, sharing, tokens, groups (works while the hub runs)')
    .option('--user <name>', "only this user's entries")
    .option('--since <time>', 'only entries from this time on (a date or epoch ms)', parseSince)
    .option('--limit <n>', 'the newest N entries', limit, 50)
    .action(async (flags: StoreFlags & { user?: string; since?: number; limit: number }) => {
      const entries = await withAccounts(flags, (store) => store.readAudit({ user: flags.user, since: flags.since, limit: flags.limit }));
      const rows = entries.map((entry) => [
        new Date(entry.at).toISOString(),
        entry.user,
        entry.action,
        entry.via,
        (entry.endpoint_ids ?? []).join(', '),
        what(entry),
      ]);
      process.stdout.write(`${table(['TIME', 'USER', 'ACTION', 'VIA', 'ENDPOINTS', 'WHAT'], rows)}\n`);
    });
}
