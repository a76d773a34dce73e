import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../context.js';

export function metricsRoutes(app: FastifyInstance, hub: HubContext): void {
  app.get('/metrics', {
    config: { public: true },
    schema: { tags: ['hub'], summary: 'Prometheus metrics (no token needed)' },
  }, async (_request, reply) => {
    reply.type(hub.metrics.registry.contentType);
    return hub.metrics.text();
  });
}
