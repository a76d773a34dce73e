import {
  TASK_STATES,
  formatBytes,
  formatDuration,
  type DisplayOutput,
  type EndpointView,
  type StateTimestamps,
  type TaskError,
  type TaskResult,
} from '@funcx/protocol';

export { formatAgo, formatBytes, formatDuration, printable, table } from '@funcx/protocol';

/** A display output as one line: its text when it is only text, else `[image/png 12 KB]`. */
export function displayNote(output: DisplayOutput): string {
  const types = Object.keys(output.data);
  const rich = types.find((type) => type !== 'text/plain');
  if (!rich) return String(output.data['text/plain'] ?? '');
  const value = output.data[rich];
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const binary = !rich.startsWith('text/') && !rich.includes('json') && !rich.includes('xml');
  const bytes = binary ? Math.floor((text.replace(/[\s=]/g, '').length * 3) / 4) : text.length;
  return `[${rich} ${formatBytes(bytes)}]`;
}

/** The text a finished task's value prints as; empty for None, as in a notebook. */
export function resultText(result: TaskResult | undefined): string {
  if (!result) return '';
  const plain = result.data?.['text/plain'];
  if (typeof plain === 'string') return plain === 'None' ? '' : plain;
  return result.value === undefined ? '' : JSON.stringify(result.value);
}

export function errorText(error: TaskError | undefined): string {
  if (!error) return 'the task failed without an error report';
  const traceback = error.traceback.join('\n').trimEnd();
  const last = `${error.ename}: ${error.evalue}`;
  if (!traceback) return last;
  return traceback.includes(last) || traceback.endsWith(error.ename) ? traceback : `${traceback}\n${last}`;
}

/** Each state the task entered: when, and how long it stayed there (until the next state, or until now). */
export function stateTimeline(timestamps: StateTimestamps, now = Date.now()): string[][] {
  const entered = TASK_STATES.filter((state) => timestamps[state] !== undefined).map((state) => ({
    state,
    at: timestamps[state]!,
  }));
  entered.sort((a, b) => a.at - b.at);
  return entered.map(({ state, at }, i) => {
    const next = entered[i + 1]?.at;
    const final = state === 'success' || state === 'failed' || state === 'cancelled';
    const stay = final ? '' : formatDuration((next ?? now) - at) + (next === undefined ? ' so far' : '');
    return [state, new Date(at).toISOString(), stay];
  });
}


