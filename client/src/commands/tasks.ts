import { endpointRef, isFinalState } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { formatDuration, stateTimeline, table } from '../format.js';
import type { HubClient } from '../hub-client.js';
import { printFinal, printOutput } from './task-printer.js';
import { followTask } from './run.js';

export async function statusCommand(client: HubClient, taskId: string): Promise<number> {
  const task = await client.getTask(taskId);
  const rows: [string, string][] = [
    ['task', task.task_id],
    ['state', task.state],
    ['function', task.function_id],
  ];
  const { routing } = task;
  if (routing) {
    // Named as the user writes them; an endpoint no longer listed (deleted, or no longer shared) by its id.
    const [endpoints, { user }] = await Promise.all([client.listEndpoints(), client.whoami()]);
    const names = new Map(endpoints.map((endpoint) => [endpoint.endpoint_id, endpointRef(user, endpoint)]));
    const name = (id: string) => names.get(id) ?? id;
    rows.push(
      ['endpoint', `${name(task.endpoint_id)} (${task.endpoint_id})`],
      ['routed', `by ${routing.policy} among ${routing.group ?? `${routing.candidates.length} endpoints named`}`],
      ['reason', routing.reason],
      ['among', routing.candidates.map(name).join(', ')],
    );
  } else {
    rows.push(['endpoint', task.endpoint_id]);
  }
  rows.push(['attempts', String(task.attempts)]);
  const timeline = stateTimeline(task.timestamps);
  const times = Object.values(task.timestamps).filter((t): t is number => t !== undefined);
  if (times.length > 1 && isFinalState(task.state)) rows.push(['total', formatDuration(Math.max(...times) - Math.min(...times))]);
  const lines = rows.map(([key, value]) => `${key.padEnd(8)}  ${value}`);
  process.stdout.write(`${lines.join('\n')}\n\n${table(['STATE', 'ENTERED', 'TIME IN STATE'], timeline)}\n`);
  return 0;
}

/** `funcx result ID [--wait]`: outputs then result of a finished task (or wait for it). */
export async function resultCommand(client: HubClient, taskId: string, wait: boolean): Promise<number> {
  const task = await client.getTask(taskId);
  if (isFinalState(task.state)) {
    for (const output of task.outputs) printOutput(output);
    return printFinal({ task_id: task.task_id, state: task.state, result: task.result, error: task.error, cached: task.cached });
  }
  if (!wait) throw new CliError(`task ${taskId} is ${task.state}, not finished: pass --wait to wait for its result`);
  return followTask(client, taskId, { cancelOnInterrupt: false });
}

export async function cancelCommand(client: HubClient, taskId: string): Promise<number> {
  await client.cancelTask(taskId);
  process.stdout.write(`cancelled ${taskId}\n`);
  return 0;
}
