import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../audit/entries.js';
import { authenticate, bearerToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The user the bearer token belongs to (empty on public routes). */
    user: string;
    /** The bearer token itself, the key of its rate limit. */
    token: string;
  }
  interface FastifyContextConfig {
    /** Served without a token. */
    public?: boolean;
  }
}

/**
 * Every route needs a user token unless its config says `public: true` (and the OpenAPI pages at /docs); each
 * authenticated request counts against its user's request rate.
 */
export const auth: FastifyPluginAsync = fp(async (app) => {
  const { hub } = app;
  app.decorateRequest('user', '');
  app.decorateRequest('token', '');
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public || request.is404 || request.routeOptions.url?.startsWith('/docs')) return;
    const token = bearerToken(request.headers.authorization);
    request.user = await authenticate(hub.store, token, 'user');
    request.token = token!;
    hub.limits.requests.take(request.user);
  });
}, { name: 'funcx-auth', dependencies: ['funcx-hub-context'] });

/** The user of an authenticated request, as the audit log names who acted. */
export function actorOf(request: FastifyRequest): Actor {
  return { user: request.user, via: 'rest' };
}
