import { createAdapter } from '@socket.io/redis-adapter';
import type { Server } from 'socket.io';
import type { HubContext } from '../context.js';
import type { RedisStore } from '../store/redis.js';
import { RedisRelay } from './redis-relay.js';

/**
 * Joins this hub to the others on the same Redis: Socket.IO events reach client sockets on every hub (the
 * Redis adapter), and queue work and cancels are relayed to the hub an endpoint is connected to. Returns a
 * function that leaves.
 */
export async function joinRedisCluster(io: Server, hub: HubContext, store: RedisStore): Promise<() => Promise<void>> {
  const subscriber = store.client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  const publisher = store.client;
  io.adapter(createAdapter(publisher, subscriber, { key: `${store.keys.prefix}socket.io` }));
  const relay = await RedisRelay.start(
    publisher,
    subscriber,
    store.keys.relayChannel,
    {
      work: (endpointId) => hub.dispatcher.schedule(endpointId, true),
      cancel: (endpointId, taskIds) => hub.dispatcher.cancel(endpointId, taskIds, true),
    },
    (error) => hub.log.warn({ err: error }, 'relay publish failed'),
  );
  hub.dispatcher.relay = relay;
  return async () => {
    hub.dispatcher.relay = undefined;
    await relay.stop();
    if (subscriber.isOpen) await subscriber.close();
  };
}
