import type { JsonValue } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import type { HubPlugin } from '../http/hub-context.js';
import { errorBody, uuidParams } from '../schemas.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody };

export const flowTriggerRoutes: HubPlugin = async (app) => {
  const { flows } = app.hub;

  app.delete<{ Params: { id: string } }>('/flow-triggers/:id', {
    schema: { tags: ['flows'], summary: 'Delete a trigger of yours', params: uuidParams, response: errors },
  }, async (request, reply) => {
    await flows.triggers.delete(actorOf(request), request.params.id);
    reply.code(204);
  });

  app.post<{ Params: { id: string }; Body: JsonValue | undefined }>('/flow-triggers/:id/webhook', {
    config: { public: true },
    schema: { tags: ['flows'], summary: "Start a run from a webhook trigger: its secret in X-Funcx-Trigger-Secret; a JSON body is merged over the trigger's input", params: uuidParams, response: errors },
  }, async (request, reply) => {
    const secret = request.headers['x-funcx-trigger-secret'];
    const started = await flows.triggers.webhook(request.params.id, Array.isArray(secret) ? secret[0] : secret, request.body);
    reply.code(202);
    return started;
  });
};
