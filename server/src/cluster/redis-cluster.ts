import type { HubContext } from '../context.js';
import type { RedisStore } from '../store/redis.js';
import { ClusterEvents } from './cluster-events.js';
import { RedisRelay } from './redis-relay.js';
import { RemoteEndpointRelay } from './remote-endpoints.js';

/**
 * Joins this hub to the others on the same Redis: client events reach the clients of every hub; queue work,
 * cancels, and clients' reads and writes of an endpoint's data go to the hub the endpoint is connected to. Joins
 * before the hub takes connections, so no hub with clients misses an event. Returns a function that leaves.
 */
export async function joinRedisCluster(hub: HubContext, store: RedisStore): Promise<() => Promise<void>> {
  const subscriber = store.client.duplicate();
  subscriber.on('error', () => undefined);
  await subscriber.connect();
  const publisher = store.client;
  const peers = new ClusterEvents(
    { publish: (channel, message) => publisher.publish(channel, message), listeners: async (channel) => Number((await publisher.pubSubNumSub(channel))[channel] ?? 0) },
    subscriber,
    store.keys.eventsChannel,
    (user) => store.keys.userEventsChannel(user),
    (error) => hub.log.warn({ err: error }, 'could not publish client events to the other hubs'),
  );
  hub.metrics.countPeerMessages(peers.counts);
  await peers.join(hub.fanout.reachPeers(peers), hub.interest);
  subscriber.on('ready', () => {
    peers.rejoined();
    // What other hubs published while the subscription was away is lost: tasks handed to this hub, and events
    // for its clients. Its endpoints and clients connect again; each hello and each client's reconnect catches up.
    const endpoints = hub.dispatcher.reconnectAll();
    const clients = hub.fanout.reconnectClients();
    if (endpoints + clients > 0) {
      hub.log.warn({ endpoints, clients }, 'the subscription to the other hubs was interrupted: endpoints and clients connected here connect again');
    }
  });
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
  const remote = await RemoteEndpointRelay.start({
    hubId: hub.instanceId,
    channelOf: (hubId) => store.keys.hubChannel(hubId),
    publisher,
    subscriber,
    presence: async (endpointId) => (await store.getPresence([endpointId]))[0],
    local: (endpointId) => hub.dispatcher.channelOf(endpointId),
    cancel: (user, taskIds) => hub.tasks.cancelForHub(user, taskIds),
    release: (endpointId) => {
      const channel = hub.dispatcher.channelOf(endpointId);
      if (!channel || !hub.dispatcher.disconnect(endpointId, channel)) return;
      hub.log.info({ endpoint_id: endpointId }, 'endpoint connected to another hub: its connection here is closed');
      channel.close();
    },
    handedOver: (endpointId, tasks) => hub.dispatcher.handedOver(endpointId, tasks),
    onError: (error) => hub.log.warn({ err: error }, "could not answer another hub's request for an endpoint"),
  });
  hub.dispatcher.remote = remote;
  return async () => {
    hub.dispatcher.relay = undefined;
    hub.dispatcher.remote = undefined;
    await remote.stop();
    await relay.stop();
    await peers.leave(hub.interest);
    if (subscriber.isOpen) await subscriber.close();
  };
}

