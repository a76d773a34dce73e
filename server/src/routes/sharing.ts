import type { FastifyRequest } from 'fastify';
import type { SharingUpdate } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { endpointSharing, errorBody, functionSharing, idParams, ownerNameParams, uuidParams } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
const sharingState = {
  type: 'object',
  properties: {
    public: { type: 'boolean' },
    shared_with: {
      type: 'object',
      properties: { users: { type: 'array', items: { type: 'string' } }, groups: { type: 'array', items: { type: 'string' } } },
    },
    admins: { type: 'array', items: { type: 'string' } },
    allowed_functions: { type: 'array', items: { type: 'string' } },
  },
};

export const sharingRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.put<{ Params: { id: string }; Body: SharingUpdate }>('/functions/:id/sharing', {
    schema: {
      tags: ['sharing'],
      summary: 'Who may run a function of yours: {public?, users?, groups?}, each list given replaces the old one',
      params: uuidParams,
      body: functionSharing,
      response: { 200: sharingState, ...errors },
    },
  }, async (request) => hub.sharing.shareFunction(actorOf(request), request.params.id, request.body));

  const shareEndpoint = (request: FastifyRequest<{ Body: SharingUpdate }>, ref: string) =>
    hub.sharing.shareEndpoint(actorOf(request), ref, request.body);
  const endpointSchema = {
    tags: ['sharing'],
    summary:
      'Who may use an endpoint and what it runs: {public?, users?, groups?, admins?, allowed_functions?: [...] | null}, ' +
      'each field given replaces the old one (its owner or admins; admins: its owner only)',
    body: endpointSharing,
    response: { 200: sharingState, ...errors },
  };

  app.put<{ Params: { id: string }; Body: SharingUpdate }>('/endpoints/:id/sharing', {
    schema: { ...endpointSchema, params: idParams },
  }, async (request) => shareEndpoint(request, request.params.id));

  app.put<{ Params: { owner: string; name: string }; Body: SharingUpdate }>('/endpoints/:owner/:name/sharing', {
    schema: { ...endpointSchema, params: ownerNameParams },
  }, async (request) => shareEndpoint(request, `${request.params.owner}/${request.params.name}`));
};
