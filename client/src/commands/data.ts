import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { formatBytes, isDataReference, parseDataUrl, type DataReference } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import type { HubClient } from '../hub-client.js';

export interface DataGetFlags {
  output?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reference `what` names: a task whose result is one, or a funcx-data:// URL of an endpoint's own store. */
async function referenceOf(client: HubClient, what: string): Promise<DataReference> {
  if (UUID.test(what)) {
    const task = await client.getTask(what);
    if (!isDataReference(task.result?.value)) {
      throw new CliError(`task ${what} (${task.state}) did not return a data reference: \`funcx result ${what}\` prints its result`, 1);
    }
    return task.result!.value as unknown as DataReference;
  }
  const parsed = parseDataUrl(what);
  if (!parsed) throw new CliError(`give a task id or a data reference (funcx-data://STORE/DIGEST), not "${what}"`, 2);
  const endpointId = parsed.store.startsWith('endpoint.') ? parsed.store.slice('endpoint.'.length) : undefined;
  if (!endpointId) throw new CliError(`${parsed.store} is shared by several endpoints: give the id of the task that returned the reference instead`, 2);
  return { $ref: what, size: 0, digest: `sha256:${parsed.digest}`, kind: 'bytes', endpoint_id: endpointId };
}

/** `funcx data get TASK_ID|URL [-o FILE]`: the value's bytes (as the endpoint keeps them) to a file or stdout. */
export async function dataGetCommand(client: HubClient, what: string, flags: DataGetFlags): Promise<number> {
  const ref = await referenceOf(client, what);
  if (!flags.output && process.stdout.isTTY) {
    throw new CliError(`the value is ${formatBytes(ref.size)} of ${ref.kind}: write it to a file with -o FILE (or pipe the output)`, 2);
  }
  const { kind, size, body } = await client.openData(ref);
  await pipeline(Readable.fromWeb(body as never), flags.output ? createWriteStream(flags.output) : process.stdout);
  if (flags.output) process.stderr.write(`wrote ${formatBytes(size)} (${kind === 'pickle' ? 'a Python pickle: pickle.load it' : 'bytes'}) to ${flags.output}\n`);
  return 0;
}

/** What a task's result says when it is a data reference: its size, and how to fetch it. */
export function referenceNote(taskId: string, ref: DataReference): string {
  return `data reference: ${formatBytes(ref.size)} (${ref.kind}) ${ref.$ref}\nfetch it with: funcx data get ${taskId} -o FILE`;
}
