import type { HubPlugin } from '../http/hub-context.js';

export const metricsRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.get('/metrics', {
    config: { public: true },
    schema: { tags: ['hub'], summary: 'Prometheus metrics (no token needed)' },
  }, async (_request, reply) => {
    reply.type(hub.metrics.registry.contentType);
    return hub.metrics.text();
  });
};
