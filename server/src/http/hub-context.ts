import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { HubContext } from '../context.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub's services: routes reach the store, the task service, the limits… through it. */
    hub: HubContext;
  }
}

/** A plugin of the hub's own (a set of routes): its instance carries `hub`. */
export type HubPlugin = FastifyPluginAsync;

/** Decorates the instance with the hub's services and shuts them down when the instance closes. */
export const hubContext: FastifyPluginAsync<{ hub: HubContext }> = fp(async (app: FastifyInstance, { hub }: { hub: HubContext }) => {
  app.decorate('hub', hub);
  app.addHook('onClose', () => hub.close());
}, { name: 'funcx-hub-context' });
