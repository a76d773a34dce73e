#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { CliError } from '@funcx/node-common';
import { DEFAULT_POLICY, FuncxError, POLICY_NAMES } from '@funcx/protocol';
import {
  changeGroupCommand,
  createGroupCommand,
  deleteGroupCommand,
  listGroupsCommand,
  setGroupCommand,
  showGroupCommand,
  type GroupPolicyFlags,
} from './commands/endpoint-groups.js';
import { flowCommands } from './commands/flow-program.js';
import { endpointsCommand, functionsCommand, tasksCommand, type TasksFlags } from './commands/lists.js';
import { registerCommand, type RegisterFlags } from './commands/register.js';
import { runCommand, submitCommand } from './commands/run.js';
import { endSessionCommand, listSessionsCommand } from './commands/sessions.js';
import { shareCommand, type ShareFlags } from './commands/share.js';
import type { TaskFlags } from './commands/task-options.js';
import { cancelCommand, resultCommand, statusCommand } from './commands/tasks.js';
import { dataGetCommand, type DataGetFlags } from './commands/data.js';
import { loadCredentials } from './credentials.js';
import { HubClient } from './hub-client.js';

let client: HubClient | undefined;

function hub(): HubClient {
  client ??= new HubClient(loadCredentials());
  return client;
}

/** Runs a command, then exits with its code (the socket would otherwise keep the process alive). */
function action<A extends unknown[]>(run: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let code: number;
    try {
      code = await run(...args);
    } catch (error) {
      code = report(error);
    }
    client?.close();
    process.exitCode = code;
    // Let stdout drain before exiting, for large outputs piped to another program.
    process.stdout.write('', () => process.exit(code));
  };
}

function report(error: unknown): number {
  if (error instanceof CliError) {
    process.stderr.write(`funcx: ${error.message}\n`);
    return error.exitCode;
  }
  if (error instanceof FuncxError) {
    process.stderr.write(`funcx: ${error.message} [${error.code}]\n`);
    return error.code === 'FUNCX_HUB_UNREACHABLE' ? 3 : 1;
  }
  process.stderr.write(`funcx: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

const repeat = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

function addTaskOptions(command: Command): Command {
  return command
    .option('-f, --function <name|id>', 'a registered function: its name (OWNER/NAME for one shared with you) or id (instead of FILE.py)')
    .requiredOption(
      '-e, --endpoint <name>',
      'endpoint (name or id) or endpoint group (group:NAME) to run on; repeat it to let the hub choose among several endpoints',
      repeat,
    )
    .option('--policy <name>', `how the hub chooses among several endpoints: ${POLICY_NAMES.join(', ')} (default: the group's, else ${DEFAULT_POLICY})`)
    .option('--args <json>', 'positional arguments, a JSON array')
    .option('--kwargs <json>', 'keyword arguments, a JSON object')
    .option('--timeout <seconds>', 'fail the task after this many seconds')
    .option('--cache', 'answer from an earlier identical call (memoized) and keep this result for later')
    .option('--no-cache', 'run it even when the function is pure')
    .option('--session <name>', 'run in this session of yours: on one worker kept for it, seeing what its earlier tasks defined')
    .option('--entrypoint <name>', 'function in FILE.py to call (default: run the file like a notebook cell)')
    .option('--shell <command>', 'run a shell command instead (a template: --kwargs fill its {fields}, shell-quoted); exits with its return code')
    .option('--walltime <seconds>', 'with --shell: stop the command after this many seconds (return code 124)');
}

const program = new Command('funcx')
  .description('Run Python functions on funcX endpoints through a hub.\nHub URL and token: FUNCX_HUB_URL and FUNCX_TOKEN, or $FUNCX_HOME/credentials.json.')
  .showHelpAfterError('(run `funcx help COMMAND` for its options)')
  .exitOverride();

program
  .command('register')
  .description('register FILE.py (or a WebAssembly module, MODULE.wasm) as a function and print its id')
  .argument('<file>', 'a Python file, or a .wasm module (WASI)')
  .option('-n, --name <name>', 'function name (default: the entrypoint or the file name)')
  .option('--entrypoint <name>', 'function in the file to call (default: run the file like a notebook cell; a module: its _start)')
  .option('--isolation <level>', 'wasm: run this Python only in WebAssembly (Pyodide), at endpoints that offer it')
  .option('-d, --description <text>', 'what the function does')
  .option('--public', 'let every user of this hub run it')
  .option('--pure', 'its result depends only on its code and arguments: the hub answers a repeated call from the first result')
  .action(action((file: string, flags: RegisterFlags) => registerCommand(hub(), file, flags)));

addTaskOptions(
  program
    .command('run')
    .description('run a function on an endpoint, streaming its output and printing its result')
    .argument('[file]', 'a Python file to run (instead of --function)'),
).action(action((file: string | undefined, flags: TaskFlags) => runCommand(hub(), file, flags)));

addTaskOptions(
  program
    .command('submit')
    .description('submit a task and print its id without waiting')
    .argument('[file]', 'a Python file to run (instead of --function)'),
).action(action((file: string | undefined, flags: TaskFlags) => submitCommand(hub(), file, flags)));

program
  .command('data')
  .description("values in endpoints' data stores (data references)")
  .command('get')
  .description("write a data reference's value (a task's result, or a funcx-data:// URL) to a file or stdout")
  .argument('<task-id-or-reference>')
  .option('-o, --output <file>', 'write it to this file (else stdout, when not a terminal)')
  .action(action((what: string, flags: DataGetFlags) => dataGetCommand(hub(), what, flags)));

program
  .command('tasks')
  .description('list your tasks, newest first (a page at a time)')
  .option('--state <state>', 'only tasks in this state (received, running, success, failed, cancelled, …)')
  .option('-e, --endpoint <name>', 'only tasks of this endpoint (name or id)')
  .option('-f, --function <name|id>', 'only tasks of this function (its name or id)')
  .option('--limit <n>', 'tasks per page (default 50, at most 500)')
  .option('--cursor <cursor>', 'the next page, as the previous one printed it')
  .action(action((flags: TasksFlags) => tasksCommand(hub(), flags)));

program
  .command('status')
  .description("show a task's state and when it entered each state")
  .argument('<task-id>')
  .action(action((taskId: string) => statusCommand(hub(), taskId)));

program
  .command('result')
  .description("print a finished task's output and result (exit 1 if it failed)")
  .argument('<task-id>')
  .option('-w, --wait', 'wait for the task to finish')
  .action(action((taskId: string, flags: { wait?: boolean }) => resultCommand(hub(), taskId, flags.wait ?? false)));

program
  .command('cancel')
  .description('cancel a task')
  .argument('<task-id>')
  .action(action((taskId: string) => cancelCommand(hub(), taskId)));

program
  .command('endpoints')
  .description('list the endpoints you can use, with their live status')
  .option('--blocks', "also list each endpoint's blocks (scheduler job, state, nodes, workers)")
  .action(action((flags: { blocks?: boolean }) => endpointsCommand(hub(), flags)));

program
  .command('functions')
  .description('list the functions you can run')
  .action(action(() => functionsCommand(hub())));

function addShareOptions(command: Command, verb: 'add' | 'remove'): Command {
  return command
    .argument('<what>', '"function", "endpoint" or "endpoint-group"')
    .argument('<ref>', 'the function name or id, or the endpoint or endpoint group name or id (owner/name for one shared with you)')
    .option('--user <name>', `${verb} a user (repeat for more)`, repeat, [] as string[])
    .option('--group <name>', `${verb} a group (repeat for more)`, repeat, [] as string[])
    .option('--admin <name>', `endpoints: ${verb} an admin, who may change its sharing (owner only; repeat for more)`, repeat, [] as string[])
    .option('--allow-function <name|id>', `endpoints: ${verb} a function to the only ones it runs (repeat for more)`, repeat, [] as string[]);
}

addShareOptions(
  program.command('share').description('share a function or an endpoint with users or groups, or with everyone, and print its sharing'),
  'add',
)
  .option('--public', 'every user of the hub may use it')
  .option('--private', 'only its owner and those it is shared with may use it')
  .option('--any-function', 'endpoints: run any function (drop the list of allowed functions)')
  .action(action((what: string, ref: string, flags: ShareFlags) => shareCommand(hub(), what, ref, flags, true)));

addShareOptions(
  program.command('unshare').description('stop sharing a function or an endpoint with users or groups, or with everyone, and print its sharing'),
  'remove',
)
  .option('--public', 'it is no longer public')
  .action(action((what: string, ref: string, flags: ShareFlags) => shareCommand(hub(), what, ref, flags, false)));

const groups = program
  .command('endpoint-groups')
  .description('endpoint groups: named sets of endpoints that tasks sent to group:NAME are routed across');

groups
  .command('list', { isDefault: true })
  .description('list the endpoint groups you can use, with their policy and endpoints')
  .action(action(() => listGroupsCommand(hub())));

groups
  .command('show')
  .description('show an endpoint group: its policy, its endpoints and their status, its sharing')
  .argument('<group>', 'NAME, owner/NAME (with or without "group:") or its id')
  .action(action((ref: string) => showGroupCommand(hub(), ref)));

groups
  .command('create')
  .description('make an endpoint group of endpoints you can use')
  .argument('<name>')
  .argument('<endpoints...>', 'endpoints by name (owner/name for one shared with you) or id')
  .option('--policy <name>', `how its tasks are routed: ${POLICY_NAMES.join(', ')} (default: ${DEFAULT_POLICY})`)
  .option('--public', 'let every user of this hub route to it (each still runs only on the endpoints they may use)')
  .action(action((name: string, endpoints: string[], flags: GroupPolicyFlags) => createGroupCommand(hub(), name, endpoints, flags)));

groups
  .command('set')
  .description("replace a group's endpoints (when given) and its policy")
  .argument('<group>')
  .argument('[endpoints...]')
  .option('--policy <name>', `route its tasks with this policy: ${POLICY_NAMES.join(', ')}`)
  .option('--default-policy', "route its tasks with the hub's default policy")
  .action(action((ref: string, endpoints: string[], flags: GroupPolicyFlags) => setGroupCommand(hub(), ref, endpoints, flags)));

groups
  .command('add')
  .description('add endpoints to a group')
  .argument('<group>')
  .argument('<endpoints...>')
  .action(action((ref: string, endpoints: string[]) => changeGroupCommand(hub(), ref, endpoints, true)));

groups
  .command('remove')
  .description('take endpoints out of a group (the endpoints stay)')
  .argument('<group>')
  .argument('<endpoints...>')
  .action(action((ref: string, endpoints: string[]) => changeGroupCommand(hub(), ref, endpoints, false)));

groups
  .command('delete')
  .description('delete an endpoint group (its endpoints stay)')
  .argument('<group>')
  .action(action((ref: string) => deleteGroupCommand(hub(), ref)));

const sessions = program
  .command('sessions')
  .description('your sessions: workers kept for tasks run with --session NAME, where each task sees what earlier ones defined');

sessions
  .command('list', { isDefault: true })
  .description('list your sessions, on every endpoint you may use or on one')
  .option('-e, --endpoint <name>', 'only the sessions on this endpoint')
  .action(action((flags: { endpoint?: string }) => listSessionsCommand(hub(), flags)));

sessions
  .command('end')
  .description('end a session: its worker stops and its variables are gone; tasks of it still waiting fail')
  .argument('<name>')
  .option('-e, --endpoint <name>', 'the endpoint it lives on (needed when it lives on several)')
  .action(action((name: string, flags: { endpoint?: string }) => endSessionCommand(hub(), name, flags)));

flowCommands(program, action, hub);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  process.exit(report(error));
}
