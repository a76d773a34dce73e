import type { FastifyRequest } from 'fastify';
import { NAME_RULES, type TaskSubmission } from '@funcx/protocol';
import { errorBody, taskBatch, taskSubmission, uuidParams, uuidString } from '../schemas.js';
import { listTasks, pageSize, type TaskListParams } from '../tasks/listing.js';
import type { HubPlugin } from '../http/hub-context.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 413: errorBody, 429: errorBody };

export const taskRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  const limitRate = async (request: FastifyRequest) => hub.limits.submissions.take(request.user);

  app.post<{ Body: TaskSubmission }>('/tasks', {
    preHandler: limitRate,
    schema: {
      tags: ['tasks'],
      summary: 'Run a registered function (function_id) or inline source on an endpoint (id or name)',
      body: taskSubmission,
      response: { 202: { type: 'object', properties: { task_id: { type: 'string' } } }, ...errors },
    },
  }, async (request, reply) => {
    const { task_ids } = await hub.tasks.submit(request.user, [request.body], false, 'rest');
    reply.code(202);
    return { task_id: task_ids[0] };
  });

  app.post<{ Body: { tasks: TaskSubmission[] } }>('/tasks/batch', {
    preHandler: limitRate,
    schema: {
      tags: ['tasks'],
      summary: 'Submit many tasks at once (all accepted or none)',
      body: taskBatch,
      response: {
        202: {
          type: 'object',
          properties: { batch_id: { type: 'string' }, task_ids: { type: 'array', items: { type: 'string' } } },
        },
        ...errors,
      },
    },
  }, async (request, reply) => {
    const submitted = await hub.tasks.submit(request.user, request.body.tasks, true, 'rest');
    reply.code(202);
    return submitted;
  });

  app.get<{ Querystring: Omit<TaskListParams, 'limit'> & { limit?: string } }>('/tasks', {
    schema: {
      tags: ['tasks'],
      summary: 'Your tasks, newest first, a page at a time (filter by state, endpoint, function; follow next_cursor)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          state: { type: 'string' },
          endpoint: { type: 'string', minLength: 1, maxLength: 200 },
          function: uuidString,
          task_group: { type: 'string', pattern: NAME_RULES.taskGroup.pattern },
          limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
          cursor: { type: 'string', maxLength: 200 },
        },
      },
    },
  }, async (request) => {
    const { limit, ...filters } = request.query;
    return listTasks(hub.store, hub.endpoints, request.user, { ...filters, limit: limit === undefined ? undefined : pageSize(limit) });
  });

  app.get<{ Params: { id: string } }>('/tasks/:id', {
    schema: { tags: ['tasks'], summary: 'A task: state, per-state timestamps, outputs, result or error', params: uuidParams },
  }, async (request) => hub.tasks.get(request.user, request.params.id));

  app.post<{ Params: { id: string } }>('/tasks/:id/cancel', {
    schema: { tags: ['tasks'], summary: 'Cancel a task that has not finished (409 once it has)', params: uuidParams },
  }, async (request) => {
    await hub.tasks.cancel(request.user, [request.params.id], true);
    return { task_id: request.params.id, state: 'cancelled' };
  });
};
