import { formatBytes, type StreamOutput, type TaskOutput } from '@funcx/protocol';

/** What an output counts towards a task's output limit: its text, or the text of its representations. */
export function outputSize(output: TaskOutput): number {
  if (output.output_type === 'stream') return output.text.length;
  let size = 0;
  for (const value of Object.values(output.data)) size += typeof value === 'string' ? value.length : JSON.stringify(value).length;
  return size;
}

/** The one note a task gets when its output passes the limit; what follows it is dropped. */
export function outputLimitNote(limit: number): StreamOutput {
  return {
    output_type: 'stream',
    name: 'stderr',
    text: `\n[funcx: further output of this task was dropped: it passed the endpoint's limit of ${formatBytes(limit)} (limits.output_bytes)]\n`,
  };
}
