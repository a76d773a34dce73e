import type { FastifyInstance } from 'fastify';
import type { EndpointRegistration } from '@funcx/protocol';
import type { HubContext } from '../context.js';
import { endpointRegistration, errorBody, idParams } from '../schemas.js';

const created = { type: 'object', properties: { endpoint_id: { type: 'string' }, endpoint_token: { type: 'string' } } };

export function endpointRoutes(app: FastifyInstance, hub: HubContext): void {
  app.post<{ Body: EndpointRegistration }>('/v1/endpoints', {
    schema: {
      tags: ['endpoints'],
      summary: 'Register an endpoint (the same name again: same id, a new token, updated location/site)',
      body: endpointRegistration,
      response: { 200: created, 201: created, 400: errorBody, 401: errorBody },
    },
  }, async (request, reply) => {
    const { created: isNew, ...result } = await hub.endpoints.register(request.user, request.body);
    await hub.announceEndpoint(result.endpoint_id);
    reply.code(isNew ? 201 : 200);
    return result;
  });

  app.get('/v1/endpoints', {
    schema: { tags: ['endpoints'], summary: 'Endpoints you can use, with live status' },
  }, async (request) => hub.endpoints.list(request.user));

  app.get<{ Params: { id: string } }>('/v1/endpoints/:id', {
    schema: { tags: ['endpoints'], summary: 'One endpoint by id or name, with live status', params: idParams },
  }, async (request) => hub.endpoints.view(await hub.endpoints.resolve(request.user, request.params.id)));

  app.delete<{ Params: { id: string } }>('/v1/endpoints/:id', {
    schema: { tags: ['endpoints'], summary: 'Delete an endpoint you own (its unfinished tasks fail)', params: idParams },
  }, async (request, reply) => {
    await hub.removeEndpoint(request.user, request.params.id);
    reply.code(204);
  });
}
