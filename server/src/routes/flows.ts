import type { FlowRunRequest, FlowTriggerRequest, FlowUpload, SharingUpdate } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { flowPatch, flowRunRequest, flowTriggerRequest, flowUpload } from '../flows/route-schemas.js';
import type { HubPlugin } from '../http/hub-context.js';
import { errorBody, functionSharing, uuidParams } from '../schemas.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 429: errorBody };

export const flowRoutes: HubPlugin = async (app) => {
  const { flows } = app.hub;
  type ById = { Params: { id: string } };

  app.post<{ Body: FlowUpload }>('/flows', {
    schema: { tags: ['flows'], summary: 'Deploy a flow: {title?, description?, definition, public?}; the definition is checked (400 names each problem)', body: flowUpload, response: errors },
  }, async (request, reply) => {
    reply.code(201);
    return flows.service.deploy(actorOf(request), request.body);
  });

  app.get('/flows', {
    schema: { tags: ['flows'], summary: 'Flows you can run: yours, shared with you or your groups, public ones (no definitions)', response: errors },
  }, async (request) => flows.service.list(request.user));

  app.get<ById>('/flows/:id', {
    schema: { tags: ['flows'], summary: 'A flow, with its definition', params: uuidParams, response: errors },
  }, async (request) => flows.service.get(request.user, request.params.id));

  app.put<ById & { Body: Partial<FlowUpload> }>('/flows/:id', {
    schema: { tags: ['flows'], summary: 'Change a flow of yours (runs already started keep their definition)', params: uuidParams, body: flowPatch, response: errors },
  }, async (request) => flows.service.update(actorOf(request), request.params.id, request.body));

  app.delete<ById>('/flows/:id', {
    schema: { tags: ['flows'], summary: 'Delete a flow of yours and its triggers (its runs go on)', params: uuidParams, response: errors },
  }, async (request, reply) => {
    await flows.service.delete(actorOf(request), request.params.id);
    reply.code(204);
  });

  app.put<ById & { Body: SharingUpdate }>('/flows/:id/sharing', {
    schema: { tags: ['flows', 'sharing'], summary: 'Who may run a flow of yours: {public?, users?, groups?}, each list given replaces the old one', params: uuidParams, body: functionSharing, response: errors },
  }, async (request) => flows.service.share(actorOf(request), request.params.id, request.body));

  app.post<ById & { Body: FlowRunRequest | undefined }>('/flows/:id/run', {
    preHandler: async (request) => app.hub.limits.submissions.take(request.user),
    schema: { tags: ['flows'], summary: 'Start a run: {input?, label?}; it runs as you. Answers the run (its id: run_id)', params: uuidParams, body: flowRunRequest, response: errors },
  }, async (request, reply) => {
    const { definition: _definition, ...run } = await flows.service.run(actorOf(request), request.params.id, request.body ?? {});
    reply.code(201);
    return run;
  });

  app.post<ById & { Body: FlowTriggerRequest }>('/flows/:id/triggers', {
    schema: { tags: ['flows'], summary: 'Start runs on a schedule ({kind: "cron", cron, timezone?, input?}) or from a webhook ({kind: "webhook", input?}: its secret is in the answer, once)', params: uuidParams, body: flowTriggerRequest, response: errors },
  }, async (request, reply) => {
    reply.code(201);
    return flows.triggers.create(actorOf(request), request.params.id, request.body);
  });

  app.get<ById>('/flows/:id/triggers', {
    schema: { tags: ['flows'], summary: 'Your triggers of a flow', params: uuidParams, response: errors },
  }, async (request) => flows.triggers.list(request.user, request.params.id));
};
