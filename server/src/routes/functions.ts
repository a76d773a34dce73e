import type { HubPlugin } from '../http/hub-context.js';
import type { FunctionRegistration } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { withSharing } from '../functions/registry.js';
import { errorBody, functionRegistration, uuidParams } from '../schemas.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

export const functionRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.post<{ Body: FunctionRegistration }>('/functions', {
    schema: {
      tags: ['functions'],
      summary: 'Register a function',
      body: functionRegistration,
      response: { 201: { type: 'object', properties: { function_id: { type: 'string' } } }, ...errors },
    },
  }, async (request, reply) => {
    const fn = await hub.functions.register(actorOf(request), request.body);
    reply.code(201);
    return { function_id: fn.function_id };
  });

  app.get('/functions', {
    schema: { tags: ['functions'], summary: 'Functions you can run: yours, those shared with you or your groups, public ones (no source)' },
  }, async (request) => hub.functions.list(request.user));

  app.get<{ Params: { id: string } }>('/functions/:id', {
    schema: { tags: ['functions'], summary: 'A function, with its source', params: uuidParams },
  }, async (request) => withSharing(await hub.functions.get(request.user, request.params.id)));

  app.delete<{ Params: { id: string } }>('/functions/:id', {
    schema: { tags: ['functions'], summary: 'Delete a function you own', params: uuidParams },
  }, async (request, reply) => {
    await hub.functions.delete(actorOf(request), request.params.id);
    reply.code(204);
  });
};
