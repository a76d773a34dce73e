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
  io.adapter(createAdapter(forgivingPublisher(publisher), subscriber, { key: `${store.keys.prefix}socket.io` }));
  const relay = await RedisRelay.start(
    publisher,
    subscriber,
    store.keys.relayChannel,
    {
      work: (endpointId) => hub.dispatcher.schedule(endpointId, true),
      cancel: (endpointId, taskIds) => hub.dispatcher.cancel(endpointId, taskIds, true),
      endSessions: (endpointId, sessions) => hub.dispatcher.endSessions(endpointId, sessions, true),
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

/**
 * The adapter publishes without handling a failure; while Redis restarts that would end the process on an
 * unhandled rejection. Events published then are lost (clients resync their tasks when they reconnect).
 */
function forgivingPublisher<T extends { publish(channel: string, message: string): Promise<unknown> }>(client: T): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'publish') {
        return (channel: string, message: string) => target.publish(channel, message).catch(() => 0);
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
