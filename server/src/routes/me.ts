import type { FastifyInstance } from 'fastify';

/** Who the caller is: clients use it to tell their own endpoints and functions from those shared with them. */
export function meRoutes(app: FastifyInstance): void {
  app.get('/v1/me', {
    schema: {
      tags: ['hub'],
      summary: 'The user your token belongs to',
      response: { 200: { type: 'object', properties: { user: { type: 'string' } } } },
    },
  }, async (request) => ({ user: request.user }));
}
