import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EndpointRegistration } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { endpointRegistration, errorBody, idParams, ownerNameParams } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

interface OwnerName {
  owner: string;
  name: string;
}

const created = { type: 'object', properties: { endpoint_id: { type: 'string' }, endpoint_token: { type: 'string' } } };

export const endpointRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.post<{ Body: EndpointRegistration }>('/endpoints', {
    schema: {
      tags: ['endpoints'],
      summary: 'Register an endpoint (the same name again: same id, a new token, updated location/site)',
      body: endpointRegistration,
      response: { 200: created, 201: created, 400: errorBody, 401: errorBody },
    },
  }, async (request, reply) => {
    const { created: isNew, ...result } = await hub.endpoints.register(actorOf(request), request.body);
    await hub.endpointLifecycle.announce(result.endpoint_id);
    reply.code(isNew ? 201 : 200);
    return result;
  });

  app.get('/endpoints', {
    schema: { tags: ['endpoints'], summary: 'Endpoints you can use, with live status' },
  }, async (request) => hub.endpoints.list(request.user));

  const view = async (request: FastifyRequest, ref: string) => hub.endpoints.view(await hub.endpoints.resolve(request.user, ref));
  const remove = async (request: FastifyRequest, reply: FastifyReply, ref: string) => {
    await hub.endpointLifecycle.remove(actorOf(request), ref);
    reply.code(204);
  };

  app.get<{ Params: { id: string } }>('/endpoints/:id', {
    schema: { tags: ['endpoints'], summary: 'One endpoint by id or by the name of one of yours, with live status', params: idParams },
  }, async (request) => view(request, request.params.id));

  app.get<{ Params: OwnerName }>('/endpoints/:owner/:name', {
    schema: { tags: ['endpoints'], summary: 'An endpoint shared with you, by its owner and name, with live status', params: ownerNameParams },
  }, async (request) => view(request, `${request.params.owner}/${request.params.name}`));

  app.delete<{ Params: { id: string } }>('/endpoints/:id', {
    schema: { tags: ['endpoints'], summary: 'Delete an endpoint you own, by id or name (its unfinished tasks fail)', params: idParams },
  }, async (request, reply) => remove(request, reply, request.params.id));

  app.delete<{ Params: OwnerName }>('/endpoints/:owner/:name', {
    schema: { tags: ['endpoints'], summary: 'Delete an endpoint by its owner and name (only its owner may)', params: ownerNameParams },
  }, async (request, reply) => remove(request, reply, `${request.params.owner}/${request.params.name}`));
};
