import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { printable, type FlowDefinition, type FlowRunEvent, type FlowRunStatus, type FlowRunView, type JsonValue } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import { formatAgo, formatDuration, table } from '../format.js';
import type { HubClient } from '../hub-client.js';
import { parseJson } from './task-options.js';

export interface DeployFlags {
  title?: string;
  description?: string;
  public?: boolean;
  update?: string;
}

/** A definition from a .json, .yaml or .yml file (JSON is YAML too, so any other name is read as YAML). */
export function readDefinition(file: string): FlowDefinition {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, 2);
  }
  try {
    const value = file.endsWith('.json') ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('it does not hold an object with StartAt and States');
    // A file may hold the definition itself, or {title, description, definition}.
    return ('definition' in value ? (value as { definition: FlowDefinition }).definition : value) as FlowDefinition;
  } catch (error) {
    throw new CliError(`${file} is not a flow definition: ${(error as Error).message}`, 2);
  }
}

/** `funcx flow deploy FILE`: prints the flow's id (the hub says what to fix in a definition it refuses). */
export async function deployCommand(client: HubClient, file: string, flags: DeployFlags): Promise<number> {
  const definition = readDefinition(file);
  const upload = { definition, title: flags.title, description: flags.description, public: flags.public };
  const flow = flags.update ? await client.flows.update(flags.update, upload) : await client.flows.deploy(upload);
  process.stdout.write(`${flow.flow_id}\n`);
  return 0;
}

export async function flowListCommand(client: HubClient): Promise<number> {
  const flows = await client.flows.list();
  if (flows.length === 0) {
    process.stdout.write('no flows yet: deploy one with `funcx flow deploy FILE.yaml`\n');
    return 0;
  }
  const rows = flows.map((flow) => [flow.title, flow.flow_id, String(flow.state_count), flow.public ? 'public' : flow.shared_with.users.length + flow.shared_with.groups.length > 0 ? 'shared' : 'private', flow.owner, new Date(flow.created_at).toISOString()]);
  process.stdout.write(`${table(['TITLE', 'ID', 'STATES', 'SHARING', 'OWNER', 'CREATED'], rows)}\n`);
  return 0;
}

export interface RunFlags {
  input?: string;
  inputFile?: string;
  label?: string;
  wait?: boolean;
}

/** `funcx flow run ID --input JSON`: prints the run's id; with --wait follows it and exits 1 unless it succeeded. */
export async function flowRunCommand(client: HubClient, flowId: string, flags: RunFlags): Promise<number> {
  if (flags.input !== undefined && flags.inputFile !== undefined) throw new CliError('give --input or --input-file, not both', 2);
  let input: JsonValue = {};
  if (flags.input !== undefined) input = parseJson('--input', flags.input);
  if (flags.inputFile !== undefined) input = parseJson('--input-file', readFileSync(flags.inputFile, 'utf8'));
  const run = await client.flows.run(flowId, { input, label: flags.label });
  process.stdout.write(`${run.run_id}\n`);
  if (!flags.wait) return 0;
  const view = await client.flows.waitForRun(run.run_id, { onUpdate: (update) => printEvents(update.events) });
  printOutcome(view);
  return view.status === 'SUCCEEDED' ? 0 : 1;
}

/** `funcx flow status RUN`: the run, each state's status, its output or error. */
export async function flowStatusCommand(client: HubClient, runId: string, flags: { events?: boolean; json?: boolean }): Promise<number> {
  const view = await client.flows.getRun(runId);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    return 0;
  }
  const ended = view.completed_at !== undefined ? `, took ${formatDuration(view.completed_at - view.created_at)}` : '';
  process.stdout.write(`${printable(view.flow_title)}  run ${view.run_id}\n${view.status}${view.cancel_requested ? ' (cancel requested)' : ''}, started ${formatAgo(view.created_at)}${ended}\n\n`);
  const rows = Object.entries(view.states).map(([state, summary]) => [
    state,
    summary.status,
    String(summary.visits),
    summary.iterations ? `${summary.iterations.succeeded}/${summary.iterations.total}` : '',
    summary.action ? `${summary.action.status}${summary.action.display_status && summary.action.display_status !== summary.action.status ? ` (${summary.action.display_status})` : ''}` : '',
    summary.error ? `${summary.error.Error}: ${summary.error.Cause}` : '',
  ]);
  process.stdout.write(`${table(['STATE', 'STATUS', 'VISITS', 'ITEMS', 'ACTION', 'ERROR'], rows)}\n`);
  if (flags.events) {
    process.stdout.write('\n');
    printEvents(view.events);
  }
  if (view.status !== 'ACTIVE') printOutcome(view);
  return 0;
}

export async function flowRunsCommand(client: HubClient, flags: { flow?: string; status?: FlowRunStatus; limit?: string; cursor?: string }): Promise<number> {
  const page = await client.flows.runs({ flow_id: flags.flow, status: flags.status, limit: flags.limit ? Number(flags.limit) : undefined, cursor: flags.cursor });
  if (page.runs.length === 0) {
    process.stdout.write('no flow runs yet: start one with `funcx flow run FLOW_ID --input JSON`\n');
    return 0;
  }
  const rows = page.runs.map((run) => [run.run_id, run.status, run.flow_title, run.label ?? '', formatAgo(run.created_at), run.completed_at ? formatDuration(run.completed_at - run.created_at) : '']);
  process.stdout.write(`${table(['RUN', 'STATUS', 'FLOW', 'LABEL', 'STARTED', 'TOOK'], rows)}\n`);
  if (page.next_cursor) process.stdout.write(`more: funcx flow runs --cursor ${page.next_cursor}\n`);
  return 0;
}

export async function flowCancelCommand(client: HubClient, runId: string): Promise<number> {
  const run = await client.flows.cancelRun(runId);
  process.stdout.write(`${run.run_id} ${run.cancel_requested ? 'cancel requested' : run.status}\n`);
  return 0;
}

export interface TriggerFlags {
  cron?: string;
  timezone?: string;
  webhook?: boolean;
  input?: string;
  label?: string;
}

export async function triggerAddCommand(client: HubClient, flowId: string, flags: TriggerFlags): Promise<number> {
  if ((flags.cron === undefined) === !flags.webhook) throw new CliError('give either --cron "EXPRESSION" or --webhook', 2);
  const input = flags.input !== undefined ? parseJson('--input', flags.input) : undefined;
  if (input !== undefined && (input === null || typeof input !== 'object' || Array.isArray(input))) throw new CliError(`--input must be a JSON object, such as '{"n": 3}'`, 2);
  const trigger = await client.flows.addTrigger(flowId, {
    kind: flags.webhook ? 'webhook' : 'cron',
    cron: flags.cron,
    timezone: flags.timezone,
    input: input as { [key: string]: JsonValue } | undefined,
    label: flags.label,
  });
  process.stdout.write(`${trigger.trigger_id}\n`);
  if (trigger.next_fire_at) process.stdout.write(`next run: ${new Date(trigger.next_fire_at).toISOString()}\n`);
  if (trigger.secret) {
    process.stdout.write(`webhook: POST ${client.hubUrl}${trigger.webhook_path}\nsecret (shown once; send it as X-Funcx-Trigger-Secret): ${trigger.secret}\n`);
  }
  return 0;
}

export async function triggerListCommand(client: HubClient, flowId: string): Promise<number> {
  const triggers = await client.flows.triggers(flowId);
  const rows = triggers.map((trigger) => [trigger.trigger_id, trigger.kind, trigger.cron ?? trigger.webhook_path ?? '', trigger.next_fire_at ? new Date(trigger.next_fire_at).toISOString() : '', formatAgo(trigger.last_fired_at)]);
  process.stdout.write(`${table(['TRIGGER', 'KIND', 'WHEN', 'NEXT', 'LAST FIRED'], rows)}\n`);
  return 0;
}

export async function triggerDeleteCommand(client: HubClient, triggerId: string): Promise<number> {
  await client.flows.deleteTrigger(triggerId);
  return 0;
}

function printEvents(events: FlowRunEvent[]): void {
  for (const event of events) {
    const time = new Date(event.at).toISOString().slice(11, 23);
    const where = event.state ? ` ${event.state}${event.item !== undefined ? `[${event.item}]` : ''}` : '';
    const extra = event.error ? ` ${event.error.Error}: ${event.error.Cause}` : event.action ? ` ${event.action.status}${event.action.display_status ? ` (${event.action.display_status})` : ''}` : event.until ? ` until ${new Date(event.until).toISOString()}` : '';
    process.stdout.write(`${time} ${event.type}${printable(where)}${printable(extra)}\n`);
  }
}

function printOutcome(view: FlowRunView): void {
  if (view.status === 'SUCCEEDED') process.stdout.write(`output: ${printable(JSON.stringify(view.output))}\n`);
  else if (view.error) process.stdout.write(`${view.status}: ${printable(`${view.error.Error}: ${view.error.Cause}`)}\n`);
  else process.stdout.write(`${view.status}\n`);
}
