import { FuncxError, MAX_BATCH_TASKS } from '@funcx/protocol';
import { EventStreams } from '../events/event-streams.js';
import type { HubPlugin } from '../http/hub-context.js';
import { errorBody } from '../schemas.js';

/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function taskIds(text: string | undefined): string[] {
  if (!text) return [];
  const ids = text.split(',').map((id) => id.trim()).filter(Boolean);
  if (ids.length > MAX_BATCH_TASKS) throw new FuncxError('FUNCX_BAD_REQUEST', `tasks names ${ids.length} tasks; at most ${MAX_BATCH_TASKS} at once`);
  const bad = ids.find((id) => !UUID.test(id));
  if (bad) throw new FuncxError('FUNCX_BAD_REQUEST', `tasks must be task ids separated by commas ("${bad}" is not one)`);
  return ids;
}

/**
 * `GET /v1/events`: the events of the caller's tasks as Server-Sent Events, for clients without Socket.IO (the
 * Python SDK, `curl -N`). With `tasks=ID,ID`, the current records of those tasks come first (`snapshot`), so a
 * client that reconnects misses nothing.
 */
export const eventRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.addHook('preClose', async () => hub.eventStreams.closeAll());

  app.get<{ Querystring: { tasks?: string } }>('/events', {
    schema: {
      tags: ['tasks'],
      summary: 'Your tasks\' events as Server-Sent Events (event: ready, snapshot, task:events, endpoint:status, endpoint:removed)',
      querystring: { type: 'object', additionalProperties: false, properties: { tasks: { type: 'string', maxLength: 40 * MAX_BATCH_TASKS } } },
      response: { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody },
    },
  }, async (request, reply) => {
    const user = request.user;
    const ids = taskIds(request.query.tasks);
    // Other hubs' events of the user reach this one before the snapshot is read.
    await hub.interest.ready(user);
    // Refused before the stream starts, with a JSON error like any request: tasks that are not the caller's.
    const snapshot = ids.length > 0 ? await hub.tasks.subscribe(user, ids) : [];
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'access-control-allow-origin': '*',
    });
    EventStreams.write(stream, 'ready', { user });
    // Joined before the snapshot is written: an event that happens in between arrives after it, never lost.
    hub.eventStreams.add(user, stream);
    if (snapshot.length > 0) EventStreams.write(stream, 'snapshot', snapshot);
    const keepalive = setInterval(() => stream.write(': keepalive\n\n'), KEEPALIVE_MS);
    keepalive.unref();
    stream.on('close', () => {
      clearInterval(keepalive);
      hub.eventStreams.remove(user, stream);
    });
  });
};
