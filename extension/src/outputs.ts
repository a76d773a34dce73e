import { endpointStatus, type EndpointView, type TaskError, type TaskEvent, type TaskOutput, type TaskResult } from '@funcx/protocol';
import type * as nbformat from '@jupyterlab/nbformat';

/** A task output as a Jupyter output. */
export function toCellOutput(output: TaskOutput): nbformat.IOutput {
  if (output.output_type === 'stream') {
    return { output_type: 'stream', name: output.name, text: output.text };
  }
  return {
    output_type: 'display_data',
    data: output.data as nbformat.IMimeBundle,
    metadata: output.metadata as nbformat.OutputMetadata
  };
}

/** The result as an execute_result, or null when there is nothing to show (a `None`). */
export function resultOutput(result: TaskResult | undefined, executionCount: number): nbformat.IOutput | null {
  if (!result || !result.data) return null;
  const keys = Object.keys(result.data);
  if (keys.length === 0) return null;
  if (keys.length === 1 && result.data['text/plain'] === 'None') return null;
  return {
    output_type: 'execute_result',
    execution_count: executionCount,
    data: result.data as nbformat.IMimeBundle,
    metadata: {}
  };
}

export function errorOutput(error: TaskError): nbformat.IOutput {
  return {
    output_type: 'error',
    ename: error.ename,
    evalue: error.evalue,
    traceback: error.traceback.length > 0 ? error.traceback : [`${error.ename}: ${error.evalue}`]
  };
}

/** What a finished task adds to its cell after its outputs: its result, its error, or why there is neither. */
export function finalOutputs(final: Extract<TaskEvent, { type: 'final' }>, executionCount: number): nbformat.IOutput[] {
  if (final.state === 'success') {
    const result = resultOutput(final.result, executionCount);
    return result ? [result] : [];
  }
  if (final.error) return [errorOutput(final.error)];
  if (final.state === 'cancelled') return [funcxErrorOutput('TaskCancelled', `Task ${final.task_id} was cancelled.`)];
  return [funcxErrorOutput('TaskFailed', `Task ${final.task_id} failed without an error report.`)];
}

/** An error raised by the extension itself (not by the user's code), e.g. a bad endpoint name. */
export function funcxErrorOutput(ename: string, message: string): nbformat.IOutput {
  return errorOutput({ ename, evalue: message, traceback: [`\u001b[0;31m${ename}\u001b[0m: ${message}`] });
}

/** "local (online, site Argonne), cloud (offline)" for error messages. */
export function describeEndpoints(endpoints: readonly EndpointView[]): string {
  if (endpoints.length === 0) {
    return 'You have no endpoints yet: create one with `funcx-endpoint configure NAME` then `funcx-endpoint start NAME`.';
  }
  const items = endpoints.map(ep => {
    const where = ep.site ? `, ${ep.site}` : '';
    return `${ep.name} (${endpointStatus(ep)}${where})`;
  });
  return `Endpoints you can use: ${items.join(', ')}.`;
}

/** Said once per notebook (and after a NameError): no state carries from one `%%funcx` cell to the next. */
export function namespaceNote(): nbformat.IOutput {
  return {
    output_type: 'display_data',
    data: {
      'text/plain':
        'Note: each %%funcx cell runs in a fresh namespace: names from other cells (and the kernel) are not ' +
        'defined in it. "--session NAME" runs cells in one namespace that lasts; "-o NAME" keeps a cell\'s value in the kernel.'
    },
    metadata: { funcx: { note: 'fresh-namespace' } }
  };
}
