import type { FlowRunStatus, JsonValue } from '@funcx/protocol';
import { actorOf } from '../auth/hook.js';
import { callbackParams, runListQuery, runViewQuery } from '../flows/route-schemas.js';
import type { HubPlugin } from '../http/hub-context.js';
import { errorBody, uuidParams } from '../schemas.js';
import { pageSize } from '../tasks/listing.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

export const flowRunRoutes: HubPlugin = async (app) => {
  const { flows } = app.hub;
  type ById = { Params: { id: string } };

  app.get<{ Querystring: { flow_id?: string; status?: FlowRunStatus; limit?: string; cursor?: string } }>('/flow-runs', {
    schema: { tags: ['flows'], summary: 'Your flow runs, newest first, a page at a time (filter by flow_id and status; follow next_cursor)', querystring: runListQuery, response: errors },
  }, async (request) => {
    const { flow_id: flowId, status, limit, cursor } = request.query;
    return flows.service.listRuns(request.user, { flowId, status, cursor, limit: limit === undefined ? 50 : pageSize(limit) });
  });

  app.get<ById & { Querystring: { events_after?: string } }>('/flow-runs/:id', {
    schema: { tags: ['flows'], summary: 'A run of yours: its status, input, output, error, each state\'s summary and its events after events_after (1,000 at a time)', params: uuidParams, querystring: runViewQuery, response: errors },
  }, async (request) => flows.service.viewRun(request.user, request.params.id, Number(request.query.events_after ?? 0)));

  app.post<ById>('/flow-runs/:id/cancel', {
    schema: { tags: ['flows'], summary: 'Cancel a run of yours and the actions it is running (409 when it has finished)', params: uuidParams, response: errors },
  }, async (request) => {
    const { definition: _definition, ...run } = await flows.service.cancel(actorOf(request), request.params.id);
    return run;
  });

  app.post<{ Params: { run_id: string; token: string }; Body: JsonValue | undefined }>('/flow-callbacks/:run_id/:token', {
    config: { public: true },
    schema: { tags: ['flows'], summary: 'An action provider says an action changed: the hub asks it for the status now (callback_url of run)', params: callbackParams },
  }, async (request, reply) => {
    await flows.service.callback(request.params.run_id, request.params.token);
    reply.code(202);
    return {};
  });
};
