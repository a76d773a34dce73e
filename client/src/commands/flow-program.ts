import type { Command } from 'commander';
import type { HubClient } from '../hub-client.js';
import {
  deployCommand,
  flowCancelCommand,
  flowListCommand,
  flowRunCommand,
  flowRunsCommand,
  flowStatusCommand,
  triggerAddCommand,
  triggerDeleteCommand,
  triggerListCommand,
} from './flows.js';

type Action = <A extends unknown[]>(run: (...args: A) => Promise<number>) => (...args: A) => Promise<void>;

/** `funcx flow …`: deploy, run and follow flows, and their triggers. */
export function flowCommands(program: Command, action: Action, hub: () => HubClient): void {
  const flow = program.command('flow').description('deploy flows (JSON or YAML), run them, follow their runs, start them on a schedule or a webhook');

  flow
    .command('deploy')
    .description("deploy a flow definition and print the flow's id (the hub names every problem it finds)")
    .argument('<file>', 'a definition: .json, or YAML')
    .option('-t, --title <title>', 'the title shown in lists (default: the definition\'s Comment)')
    .option('-d, --description <text>', 'what the flow does')
    .option('--public', 'every user of the hub may run it')
    .option('--update <flow-id>', 'replace the definition of a flow of yours instead of deploying a new one')
    .action(action((file: string, flags) => deployCommand(hub(), file, flags)));

  flow
    .command('list')
    .description('list the flows you can run')
    .action(action(() => flowListCommand(hub())));

  flow
    .command('run')
    .description("start a run and print its id (it runs as you)")
    .argument('<flow-id>')
    .option('-i, --input <json>', 'the run\'s input, a JSON value (default {})')
    .option('--input-file <file>', 'read the input from a JSON file')
    .option('-l, --label <label>', 'a label shown beside the run')
    .option('-w, --wait', 'follow the run, printing its events, and exit 1 unless it succeeds')
    .action(action((flowId: string, flags) => flowRunCommand(hub(), flowId, flags)));

  flow
    .command('status')
    .description("show a run: its status, each state's status, its output or error")
    .argument('<run-id>')
    .option('--events', 'also print its event log')
    .option('--json', 'print the run as the hub answers it')
    .action(action((runId: string, flags) => flowStatusCommand(hub(), runId, flags)));

  flow
    .command('runs')
    .description('list your runs, newest first')
    .option('--flow <flow-id>', 'only runs of this flow')
    .option('--status <status>', 'only ACTIVE, SUCCEEDED, FAILED or CANCELLED runs')
    .option('--limit <n>', 'runs per page (default 50)')
    .option('--cursor <cursor>', 'the next page, as the previous one printed it')
    .action(action((flags) => flowRunsCommand(hub(), flags)));

  flow
    .command('cancel')
    .description('cancel a run and the actions it is running')
    .argument('<run-id>')
    .action(action((runId: string) => flowCancelCommand(hub(), runId)));

  const trigger = flow.command('trigger').description('start runs of a flow on a schedule or from a webhook');
  trigger
    .command('add')
    .description("add a trigger and print its id (a webhook's secret is printed once)")
    .argument('<flow-id>')
    .option('--cron <expression>', 'on a schedule: five cron fields, e.g. "0 * * * *" (hourly)')
    .option('--timezone <zone>', 'the schedule\'s IANA time zone (default UTC)')
    .option('--webhook', 'when POSTed to, with the secret')
    .option('-i, --input <json>', "the runs' input, a JSON object (a webhook's body is merged over it)")
    .option('-l, --label <label>', 'a label for the runs it starts')
    .action(action((flowId: string, flags) => triggerAddCommand(hub(), flowId, flags)));
  trigger
    .command('list')
    .description('list your triggers of a flow')
    .argument('<flow-id>')
    .action(action((flowId: string) => triggerListCommand(hub(), flowId)));
  trigger
    .command('delete')
    .description('delete a trigger')
    .argument('<trigger-id>')
    .action(action((triggerId: string) => triggerDeleteCommand(hub(), triggerId)));
}
