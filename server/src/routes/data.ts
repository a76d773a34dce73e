import { Readable } from 'node:stream';
import { DATA_KINDS, FuncxError, dataUrl, isFinalState, type DataKind, type JsonValue } from '@funcx/protocol';
import type { HubPlugin } from '../http/hub-context.js';
import { DataRelay } from '../data/data-relay.js';
import { errorBody, uuidParams } from '../schemas.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody, 413: errorBody };
const endpointRef = { type: 'string', minLength: 1, maxLength: 300 } as const;

/**
 * Values in endpoints' data stores, for clients: a reference a task returned is read here (its bytes, as the
 * endpoint keeps them), and a client stores a value to pass to tasks by reference.
 */
export const dataRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  const relay = new DataRelay(hub.dispatcher);
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.get<{ Params: { ref: string; store: string; digest: string } }>('/endpoints/:ref/data/:store/:digest', {
    schema: {
      tags: ['data'],
      summary: "A value in an endpoint's data store (yours only): its bytes, with its kind (bytes | pickle) in X-Funcx-Data-Kind",
      params: {
        type: 'object',
        required: ['ref', 'store', 'digest'],
        properties: { ref: endpointRef, store: { type: 'string', pattern: '^(endpoint|redis)\\.[A-Za-z0-9_.-]{1,64}$' }, digest: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
      },
      response: errors,
    },
  }, async (request, reply) => {
    const endpoint = await hub.endpoints.resolve(request.user, request.params.ref);
    const { first, rest } = await relay.open(request.user, endpoint, dataUrl(request.params.store, request.params.digest));
    reply.header('content-type', 'application/octet-stream');
    reply.header('content-length', String(first.total));
    reply.header('x-funcx-data-kind', first.ref.kind);
    reply.header('x-funcx-data-digest', first.ref.digest);
    if (first.bytes.byteLength >= first.total) return reply.send(Buffer.from(first.bytes));
    return reply.send(Readable.from((async function* () {
      yield Buffer.from(first.bytes);
      for await (const chunk of rest()) yield Buffer.from(chunk);
    })()));
  });

  app.get<{ Params: { id: string }; Querystring: { from?: string; wait_ms?: string } }>('/tasks/:id/items', {
    schema: {
      tags: ['data'],
      summary: 'Items a generator task yielded, from index `from` (default 0), waiting up to wait_ms (at most 20,000) for one; ask again from `next` until `done`',
      params: uuidParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { from: { type: 'string', pattern: '^[0-9]{1,15}$' }, wait_ms: { type: 'string', pattern: '^[0-9]{1,6}$' } },
      },
      response: errors,
    },
  }, async (request) => {
    const task = await hub.tasks.get(request.user, request.params.id);
    const endpoint = await hub.store.getEndpoint(task.endpoint_id);
    if (!endpoint) throw new FuncxError('FUNCX_ENDPOINT_NOT_FOUND', `task ${task.task_id}'s endpoint was deleted: its stream went with it`);
    // A task that has ended (a generator that failed half way, or no generator at all) waits for nothing more.
    const ended = isFinalState(task.state);
    const read = await relay.stream(request.user, endpoint, task.task_id, Number(request.query.from ?? 0), ended ? 0 : Number(request.query.wait_ms ?? 10_000));
    if (ended && read.items.length === 0) read.done = true;
    return read;
  });

  app.post<{ Params: { id: string }; Body: { items?: JsonValue[]; done?: boolean } }>('/tasks/:id/inputs', {
    schema: {
      tags: ['data'],
      summary: "Send items to a task's input stream (funcx.store.inputs() in the task); done: there are no more. Answers how many it took: send the rest again later",
      params: uuidParams,
      body: {
        type: 'object',
        additionalProperties: false,
        properties: { items: { type: 'array', maxItems: 10_000 }, done: { type: 'boolean' } },
      },
      response: errors,
    },
  }, async (request) => {
    const task = await hub.tasks.get(request.user, request.params.id);
    if (isFinalState(task.state)) {
      throw new FuncxError('FUNCX_TASK_FINISHED', `task ${task.task_id} has already finished (${task.state}): it reads no more inputs`);
    }
    const endpoint = await hub.store.getEndpoint(task.endpoint_id);
    if (!endpoint) throw new FuncxError('FUNCX_ENDPOINT_NOT_FOUND', `task ${task.task_id}'s endpoint was deleted`);
    return relay.send(request.user, endpoint, task.task_id, request.body?.items ?? [], request.body?.done ?? false);
  });

  app.post<{ Params: { ref: string }; Querystring: { kind?: DataKind }; Body: Buffer }>('/endpoints/:ref/data', {
    schema: {
      tags: ['data'],
      summary: "Store a value (the body, application/octet-stream) in an endpoint's data store; returns its data reference",
      params: { type: 'object', required: ['ref'], properties: { ref: endpointRef } },
      querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: [...DATA_KINDS] } } },
      response: errors,
    },
  }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) {
      return reply.code(400).send({ statusCode: 400, code: 'FUNCX_BAD_REQUEST', error: 'Bad Request', message: 'send the value as the body, with Content-Type: application/octet-stream' });
    }
    const endpoint = await hub.endpoints.resolve(request.user, request.params.ref);
    const ref = await relay.write(request.user, endpoint, request.query.kind ?? 'bytes', request.body);
    reply.code(201);
    return { ref };
  });
};
