import type { HubPlugin } from '../http/hub-context.js';

/** Who the caller is: clients use it to tell their own endpoints and functions from those shared with them. */
export const meRoutes: HubPlugin = async (app) => {
  app.get('/me', {
    schema: {
      tags: ['hub'],
      summary: 'The user your token belongs to',
      response: { 200: { type: 'object', properties: { user: { type: 'string' } } } },
    },
  }, async (request) => ({ user: request.user }));
};
