import { NAME_RULES } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { errorBody } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };
const endpointQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { endpoint: { type: 'string', minLength: 1, maxLength: 300 } },
} as const;

/** `/sessions`: your sessions on the endpoints you may use (workers kept for your cells), and ending one. */
export const sessionRoutes: HubPlugin = async (app) => {
  const { hub } = app;

  app.get<{ Querystring: { endpoint?: string } }>('/sessions', {
    schema: {
      tags: ['sessions'],
      summary: 'Your sessions on every endpoint you may use (or ?endpoint=REF), as the endpoints last reported them',
      querystring: endpointQuery,
      response: errors,
    },
  }, async (request) => ({ sessions: await hub.endpointSessions.list(request.user, request.query.endpoint) }));

  app.delete<{ Params: { name: string }; Querystring: { endpoint?: string } }>('/sessions/:name', {
    schema: {
      tags: ['sessions'],
      summary: 'End your session NAME (its worker stops; tasks of it still waiting fail); ?endpoint= when it lives on several',
      params: {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string', pattern: NAME_RULES.session.pattern } },
      },
      querystring: endpointQuery,
      response: errors,
    },
  }, async (request) => ({ ended: await hub.endpointSessions.end(actorOf(request), request.params.name, request.query.endpoint) }));
};
