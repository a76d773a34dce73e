import type { HubClient, TaskFinalEvent } from '../hub-client.js';
import { StreamFollower } from '../stream-follower.js';
import { printFinal, printOutput, printStreamItem, shellExitCode } from './task-printer.js';
import { resolveFunction } from './function-ref.js';
import { buildSubmission, type TaskFlags } from './task-options.js';

const WAITING_NOTE_AFTER_MS = 1_000;

/** `funcx run`: submit over the socket, stream outputs live, print the result; exit 1 if the task failed. */
export async function runCommand(client: HubClient, file: string | undefined, flags: TaskFlags): Promise<number> {
  const task = await submissionFor(client, file, flags);
  // Ctrl-C while the submission is on its way: cancel the task as soon as its id is known.
  let interruptedEarly = false;
  const onEarlyInterrupt = () => {
    if (interruptedEarly) process.exit(130);
    interruptedEarly = true;
  };
  process.on('SIGINT', onEarlyInterrupt);
  let taskId: string;
  try {
    await client.connect();
    [taskId] = (await client.submitLive([task])).task_ids;
  } finally {
    process.off('SIGINT', onEarlyInterrupt);
  }
  if (interruptedEarly) {
    await client.cancelTask(taskId).catch(() => {});
    process.stderr.write(`\ncancelled task ${taskId}\n`);
    return 130;
  }
  const shell = flags.shell === undefined ? undefined : { walltime: flags.walltime === undefined ? undefined : Number(flags.walltime) };
  return followTask(client, taskId, { cancelOnInterrupt: true, shell });
}

/** `funcx submit`: print the task id and return at once. */
export async function submitCommand(client: HubClient, file: string | undefined, flags: TaskFlags): Promise<number> {
  const { task_id } = await client.submit(await submissionFor(client, file, flags));
  process.stdout.write(`${task_id}\n`);
  return 0;
}

/** The submission, with a `--function` given by name resolved to its id. */
async function submissionFor(client: HubClient, file: string | undefined, flags: TaskFlags) {
  const task = buildSubmission(file, flags);
  if (task.function_id) task.function_id = await resolveFunction(client, task.function_id);
  return task;
}

/** Streams a task's outputs until it ends; Ctrl-C cancels it (when asked to) and exits 130. */
export async function followTask(
  client: HubClient,
  taskId: string,
  options: { cancelOnInterrupt: boolean; shell?: { walltime?: number } },
): Promise<number> {
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    if (!options.cancelOnInterrupt) process.exit(130);
    process.stderr.write(`\ncancelling task ${taskId}…\n`);
    client.cancelTask(taskId).then(
      () => process.exit(130),
      (error: Error) => {
        process.stderr.write(`funcx: could not cancel task ${taskId}: ${error.message}\n`);
        process.exit(130);
      },
    );
  };
  process.on('SIGINT', onInterrupt);
  // Only a connection that was up can be lost: `result --wait` connects for the first time here.
  let wasConnected = client.connectionState === 'connected';
  const stopNotes = client.onConnectionChange((state) => {
    if (state === 'connected') wasConnected = true;
    else if (state === 'connecting' && wasConnected) process.stderr.write('funcx: lost the connection to the hub; reconnecting…\n');
  });
  let waitingNote: ReturnType<typeof setTimeout> | undefined;
  const noteProgress = (state?: string) => {
    clearTimeout(waitingNote);
    if (state !== 'waiting-for-endpoint') return;
    waitingNote = setTimeout(() => {
      process.stderr.write(
        `funcx: task ${taskId} is waiting for its endpoint; it runs once the endpoint is online ` +
          '(see `funcx endpoints`; Ctrl-C cancels)\n',
      );
    }, WAITING_NOTE_AFTER_MS);
  };
  // A generator task's items, one a line as they arrive; a new attempt starts its stream over.
  const items = new StreamFollower((from, waitMs) => client.readItems(taskId, from, waitMs), {
    onItems: (values) => values.forEach(printStreamItem),
    onProblem: (error, fatal) => process.stderr.write(`funcx: ${fatal ? 'stopped reading' : 'reading'} the task's items: ${error.message}\n`),
  });
  let ran = false;
  try {
    const final = await new Promise<TaskFinalEvent>((resolve, reject) => {
      client.watchTask(taskId, {
        onState: (event) => {
          noteProgress(event.state);
          if (event.state === 'running') ran = true;
          else if (ran) items.restart();
          if (event.streams) items.start();
        },
        onOutput: (output) => {
          noteProgress();
          printOutput(output);
        },
        onFinal: (event) => {
          noteProgress();
          resolve(event);
        },
        onError: reject,
      });
    });
    if (interrupted) return new Promise<number>(() => {});
    if (final.streams && final.state !== 'cancelled') await items.finish();
    return options.shell ? shellExitCode(final, options.shell.walltime) : printFinal(final);
  } finally {
    items.stop();
    clearTimeout(waitingNote);
    stopNotes();
    if (!interrupted) process.off('SIGINT', onInterrupt);
  }
}
