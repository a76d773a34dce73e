import type { TaskResult } from '@funcx/protocol';
import type { ISessionContext } from '@jupyterlab/apputils';

/**
 * The Python statement that binds `name` in the kernel to a task's value: unpickled when the result has a
 * pickle and the kernel's Python can load it, else decoded from JSON. It leaves no other name behind.
 */
export function storeStatement(name: string, result: TaskResult): string {
  const json = result.value !== undefined ? JSON.stringify(JSON.stringify(result.value)) : 'None';
  const pickle = result.pickle !== undefined ? JSON.stringify(result.pickle) : 'None';
  return [
    'def __funcx_value(pickled, encoded):',
    '    import base64, json, pickle',
    '    if pickled is not None:',
    '        try:',
    '            return pickle.loads(base64.b64decode(pickled))',
    '        except Exception:',
    '            if encoded is None:',
    '                raise',
    '    if encoded is None:',
    `        raise ValueError("the value of the task is neither JSON nor a pickle this Python can load")`,
    '    return json.loads(encoded)',
    `${name} = __funcx_value(${pickle}, ${json})`,
    'del __funcx_value'
  ].join('\n');
}

/** Whether a result carries something `storeStatement` can bind. */
export function canStore(result: TaskResult | undefined): result is TaskResult {
  return !!result && (result.value !== undefined || result.pickle !== undefined);
}

/** Runs the statement on the notebook's kernel, silently (no output, no history, no execution count). */
export async function storeInKernel(session: ISessionContext | undefined, name: string, result: TaskResult): Promise<void> {
  const kernel = session?.session?.kernel;
  if (!kernel) throw new Error(`no kernel to store "${name}" in: start the notebook's kernel, then run the cell again`);
  const reply = await kernel.requestExecute({ code: storeStatement(name, result), silent: true, store_history: false }).done;
  if (reply.content.status !== 'ok') {
    const content = reply.content as { ename?: string; evalue?: string };
    throw new Error(`the kernel could not store "${name}": ${content.ename ?? 'error'}: ${content.evalue ?? ''}`);
  }
}
