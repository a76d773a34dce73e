import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { FuncxError } from '@funcx/protocol';
import { toFuncxError } from '../errors.js';
import { discardBody } from './client-errors.js';

/** Every error a route throws, and every unknown route, answered with a FUNCX_* JSON body. */
export const errorReplies: FastifyPluginAsync = fp(async (app) => {
  app.setErrorHandler((error, request, reply) => {
    const funcxError = toFuncxError(error, app.hub.bodyLimit);
    if (funcxError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    if (funcxError.retryAfterS !== undefined) reply.header('retry-after', String(funcxError.retryAfterS));
    if (funcxError.code === 'FUNCX_PAYLOAD_TOO_LARGE') {
      // Closing now would reset the connection while the client still sends, and it would never read the 413.
      reply.removeHeader('connection');
      discardBody(request.raw);
    }
    reply.code(funcxError.statusCode).send(funcxError.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new FuncxError('FUNCX_ROUTE_NOT_FOUND', `No route ${request.method} ${request.url}: the API is under /v1 (see /docs)`);
    reply.code(404).send(error.toBody());
  });
}, { name: 'funcx-error-replies', dependencies: ['funcx-hub-context'] });
