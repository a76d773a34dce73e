import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { HUB_VERSION } from '../version.js';

/** The OpenAPI document of every route registered after it, and its pages at /docs. */
export const openApi: FastifyPluginAsync = fp(async (app) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'funcX hub', description: 'Register functions and endpoints, run tasks', version: HUB_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
}, { name: 'funcx-openapi' });
