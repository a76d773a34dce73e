import type { FastifyRequest } from 'fastify';
import type { EndpointGroupCreation, EndpointGroupUpdate, SharingUpdate } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { endpointGroupCreation, endpointGroupUpdate, errorBody, functionSharing, idParams, ownerNameParams } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

interface OwnerName {
  owner: string;
  name: string;
}

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

/**
 * `/endpoint-groups`: named sets of endpoints that tasks are routed across (`"endpoint": "group:NAME"`). Each
 * group is addressed like an endpoint: its id, the name of one of yours, or `owner/name`.
 */
export const endpointGroupRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  const groups = hub.endpointGroups;

  app.post<{ Body: EndpointGroupCreation }>('/endpoint-groups', {
    schema: {
      tags: ['endpoint groups'],
      summary: 'Create an endpoint group of endpoints you can use: {name, endpoints: [refs], policy?, public?}',
      body: endpointGroupCreation,
      response: errors,
    },
  }, async (request, reply) => {
    const group = await groups.create(actorOf(request), request.body);
    reply.code(201);
    return group;
  });

  app.get('/endpoint-groups', {
    schema: { tags: ['endpoint groups'], summary: 'Endpoint groups you can use (yours first), each member as you see it' },
  }, async (request) => groups.list(request.user));

  const view = async (request: FastifyRequest, ref: string) => groups.view(request.user, await groups.resolve(request.user, ref));
  const update = (request: FastifyRequest<{ Body: EndpointGroupUpdate }>, ref: string) => groups.update(actorOf(request), ref, request.body);
  const share = (request: FastifyRequest<{ Body: SharingUpdate }>, ref: string) => hub.sharing.shareEndpointGroup(actorOf(request), ref, request.body);

  // Each route twice: by id or a name of yours (`:id`), and by owner and name.
  for (const [path, params, refOf] of [
    ['/endpoint-groups/:id', idParams, (p: { id: string }) => p.id],
    ['/endpoint-groups/:owner/:name', ownerNameParams, (p: OwnerName) => `${p.owner}/${p.name}`],
  ] as const) {
    const ref = (request: FastifyRequest) => (refOf as (params: unknown) => string)(request.params);
    app.get(path, {
      schema: { tags: ['endpoint groups'], summary: 'One endpoint group, each member as you see it', params },
    }, async (request) => view(request, ref(request)));

    app.put<{ Body: EndpointGroupUpdate }>(path, {
      schema: {
        tags: ['endpoint groups'],
        summary: 'Replace the endpoints or the policy of an endpoint group of yours: {endpoints?, policy?: NAME | null}',
        params,
        body: endpointGroupUpdate,
        response: errors,
      },
    }, async (request) => update(request, ref(request)));

    app.delete(path, {
      schema: { tags: ['endpoint groups'], summary: 'Delete an endpoint group of yours (its endpoints stay)', params, response: { 204: { type: 'null' }, ...errors } },
    }, async (request, reply) => {
      await groups.delete(actorOf(request), ref(request));
      reply.code(204);
    });

    app.put<{ Body: SharingUpdate }>(`${path}/sharing`, {
      schema: {
        tags: ['sharing'],
        summary: 'Who may route to an endpoint group of yours: {public?, users?, groups?} (its endpoints are shared on their own)',
        params,
        body: functionSharing,
        response: errors,
      },
    }, async (request) => share(request, ref(request)));
  }
};
