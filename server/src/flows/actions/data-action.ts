import { randomUUID } from 'node:crypto';
import { FuncxError, isDataReference, type ActionStatus, type EndpointRecord, type JsonObject, type JsonValue } from '@funcx/protocol';
import type { DataRelay } from '../../data/data-relay.js';
import { FLOW_ERRORS, FlowFailure } from '../language/flow-errors.js';
import type { ActionContext, ActionProvider } from './provider.js';

/** The most a `get` brings into a run's state: more stays in the store and travels by its reference. */
export const MAX_DATA_ACTION_GET_BYTES = 1024 * 1024;
/** Finished statuses kept for `status` (the action finishes within `run`; a resumed run may ask again). */
const KEPT_STATUSES = 10_000;

interface Endpoints {
  resolve(user: string, ref: string): Promise<EndpointRecord>;
}

/**
 * The data action (`"ActionUrl": "data"`): values in an endpoint's data store, as the run's owner.
 * `{op: "put", endpoint, value}` stores a JSON value (its UTF-8 JSON text, kind `bytes`) and returns its
 * reference, for a later function to take as an argument; `{op: "get", ref}` reads a reference's value into the
 * run's state (JSON text is parsed, other bytes come as base64), up to MAX_DATA_ACTION_GET_BYTES. Both finish
 * within `run`.
 */
export class DataAction implements ActionProvider {
  private readonly finished = new Map<string, ActionStatus>();

  constructor(
    private readonly relay: DataRelay,
    private readonly endpoints: Endpoints,
  ) {}

  async run(context: ActionContext, body: JsonObject): Promise<ActionStatus> {
    let details: JsonObject;
    try {
      if (body.op === 'put') details = await this.put(context.owner, body);
      else if (body.op === 'get') details = await this.get(context.owner, body);
      else throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, `the data action's Parameters.op is ${JSON.stringify(body.op ?? null)}: write "put" (with endpoint and value) or "get" (with ref)`);
    } catch (error) {
      if (error instanceof FuncxError) throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, `the data action: ${error.message}`, { code: error.code });
      throw error;
    }
    const now = new Date().toISOString();
    const status: ActionStatus = { action_id: randomUUID(), status: 'SUCCEEDED', details, creator_id: context.owner, start_time: now, completion_time: now };
    this.finished.set(status.action_id, status);
    if (this.finished.size > KEPT_STATUSES) this.finished.delete(this.finished.keys().next().value!);
    return status;
  }

  async status(_context: ActionContext, actionId: string): Promise<ActionStatus> {
    const status = this.finished.get(actionId);
    if (!status) throw new FlowFailure(FLOW_ERRORS.actionFailed, `data action ${actionId} finished on a hub that has since restarted, and its answer went with it: run the state again`);
    return status;
  }

  async cancel(): Promise<void> {
    // It has finished by the time anyone can ask.
  }

  async release(_context: ActionContext, actionId: string): Promise<void> {
    this.finished.delete(actionId);
  }

  private async put(owner: string, body: JsonObject): Promise<JsonObject> {
    if (typeof body.endpoint !== 'string' || body.endpoint === '') {
      throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, "the data action's put needs Parameters.endpoint: the endpoint whose data store keeps the value");
    }
    if (!('value' in body)) throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, "the data action's put needs Parameters.value (any JSON value)");
    const endpoint = await this.endpoints.resolve(owner, body.endpoint);
    const ref = await this.relay.write(owner, endpoint, 'bytes', new TextEncoder().encode(JSON.stringify(body.value)));
    return { ref: ref as unknown as JsonObject };
  }

  private async get(owner: string, body: JsonObject): Promise<JsonObject> {
    const ref = body.ref;
    if (!isDataReference(ref)) {
      throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, `the data action's get needs Parameters.ref: a data reference ({"$ref": "funcx-data://…", size, …}) as a task returned it`);
    }
    if (ref.kind === 'pickle') {
      throw new FlowFailure(FLOW_ERRORS.actionFailed, `${ref.$ref} holds a pickled Python value, which a flow cannot read: pass the reference on to a function instead`);
    }
    if (ref.size > MAX_DATA_ACTION_GET_BYTES) {
      throw new FlowFailure(FLOW_ERRORS.actionFailed, `${ref.$ref} holds ${ref.size} bytes, more than a flow's state takes (${MAX_DATA_ACTION_GET_BYTES}): pass the reference on to a function instead`);
    }
    const endpoint = await this.endpoints.resolve(owner, ref.endpoint_id);
    const { first, rest } = await this.relay.open(owner, endpoint, ref.$ref);
    const parts = [first.bytes];
    for await (const chunk of rest()) parts.push(chunk);
    const bytes = Buffer.concat(parts);
    return { size: bytes.byteLength, ...readBack(bytes) };
  }
}

/** A value's bytes as a run's state holds them: the JSON they spell, else base64. */
function readBack(bytes: Buffer): { value: JsonValue } | { bytes_base64: string } {
  try {
    return { value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as JsonValue };
  } catch {
    return { bytes_base64: bytes.toString('base64') };
  }
}
