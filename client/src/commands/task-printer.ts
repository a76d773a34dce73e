import { formatBytes, isDataReference, type DataReference, type JsonValue, type TaskOutput, type TaskRecord } from '@funcx/protocol';
import { referenceNote } from './data.js';
import type { TaskFinalEvent } from '../hub-client.js';
import { displayNote, errorText, resultText } from '../format.js';
import { WALLTIME_RETURNCODE } from '../shell-task.js';

/** Writes a task's outputs to the terminal as they arrive: stdout to stdout, stderr to stderr. */
export function printOutput(output: TaskOutput): void {
  if (output.output_type === 'stream') {
    (output.name === 'stderr' ? process.stderr : process.stdout).write(output.text);
  } else {
    const note = displayNote(output);
    if (note) process.stdout.write(note.endsWith('\n') ? note : `${note}\n`);
  }
}

/** One item a generator task yielded, as a line: its JSON, or a data reference's size and address. */
export function printStreamItem(item: JsonValue): void {
  if (isDataReference(item)) process.stdout.write(`data reference: ${formatBytes(item.size)} (${item.kind}) ${item.$ref}\n`);
  else process.stdout.write(`${JSON.stringify(item)}\n`);
}

/** Prints the result or the error of a finished task and returns the exit code. */
export function printFinal(final: Pick<TaskFinalEvent, 'task_id' | 'state' | 'result' | 'error'> & { cached?: TaskRecord['cached'] }): number {
  if (final.state === 'success') {
    if (isDataReference(final.result?.value)) {
      process.stdout.write(`${referenceNote(final.task_id, final.result!.value as unknown as DataReference)}\n`);
      return 0;
    }
    if (final.cached) {
      process.stderr.write(`memoized: the result of task ${final.cached.task_id} (finished ${new Date(final.cached.finished_at).toISOString()})\n`);
    }
    const text = resultText(final.result);
    if (text) process.stdout.write(`${text}\n`);
    return 0;
  }
  if (final.state === 'cancelled') {
    process.stderr.write(`task ${final.task_id} was cancelled\n`);
    return 1;
  }
  process.stderr.write(`${errorText(final.error)}\n`);
  return 1;
}

/**
 * The end of a shell task: its output has streamed already, so only its return code is left (the exit code, as
 * from the shell); a failed or cancelled task is reported as any other.
 */
export function shellExitCode(final: Pick<TaskFinalEvent, 'task_id' | 'state' | 'result' | 'error'>, walltime?: number): number {
  if (final.state !== 'success') return printFinal(final);
  const value = final.result?.value;
  const returncode = typeof value === 'object' && value !== null && !Array.isArray(value) ? value.returncode : undefined;
  if (typeof returncode !== 'number') return printFinal(final);
  if (returncode === WALLTIME_RETURNCODE && walltime !== undefined) {
    process.stderr.write(`funcx: the command ran past its walltime (${walltime} s) and was stopped\n`);
  }
  return returncode < 0 ? 128 - returncode : Math.min(returncode, 255);
}
