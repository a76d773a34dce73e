import { nameProblem } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { formatAgo, table } from '../format.js';
import type { HubClient } from '../hub-client.js';

/** A session name as a flag or argument gives it: checked with the hub's rule before anything is sent. */
export function sessionName(text: string, where = '--session'): string {
  const problem = nameProblem('session', text);
  if (problem) throw new CliError(`${where}: ${problem}`, 2);
  return text;
}

/** `funcx sessions`: your sessions on the endpoints you may use, as the endpoints last reported them. */
export async function listSessionsCommand(client: HubClient, flags: { endpoint?: string }): Promise<number> {
  const sessions = await client.listSessions(flags.endpoint);
  if (sessions.length === 0) {
    process.stdout.write('no sessions: a task run with --session NAME starts one\n');
    return 0;
  }
  const rows = sessions.map((session) => [
    session.name,
    session.endpoint,
    session.restarted === undefined ? session.state : `${session.state} (restarted: ${session.restarted})`,
    String(session.tasks),
    String(session.queued),
    formatAgo(session.last_used),
    session.idle_s > 0 ? `${session.idle_s} s idle` : '',
  ]);
  process.stdout.write(`${table(['NAME', 'ENDPOINT', 'STATE', 'TASKS', 'WAITING', 'LAST USED', 'RELEASED AFTER'], rows)}\n`);
  return 0;
}

/** `funcx sessions end NAME`: its worker stops, its variables are gone, its waiting tasks fail. */
export async function endSessionCommand(client: HubClient, name: string, flags: { endpoint?: string }): Promise<number> {
  const ended = await client.endSession(sessionName(name, 'session'), flags.endpoint);
  process.stdout.write(`ended session ${ended.name} on ${ended.endpoint}\n`);
  return 0;
}
