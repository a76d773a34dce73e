import { describeStore } from '../store/open-store.js';
import { HUB_VERSION } from '../version.js';
import type { HubPlugin } from '../http/hub-context.js';

export const healthRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.get('/health', {
    config: { public: true },
    schema: { tags: ['hub'], summary: 'Whether the hub is up (no token needed)' },
  }, async () => ({
    status: 'ok',
    version: HUB_VERSION,
    store: describeStore(hub.options.store),
    uptime_s: Math.round((Date.now() - hub.startedAt) / 1000),
    endpoints_online: hub.presence.onlineCount(),
  }));
};
