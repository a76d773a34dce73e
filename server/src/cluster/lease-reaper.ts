import type { HubContext } from '../context.js';

/** How often each hub looks for expired leases and drains the queues of its endpoints. */
export const REAP_INTERVAL_MS = 1_000;

/**
 * Every REAP_INTERVAL_MS: the in-flight tasks of endpoints whose lease ran out (no heartbeat for TASK_LEASE_MS:
 * the daemon died, or its hub did and it has not come back) go back to their queue, or fail after
 * MAX_TASK_ATTEMPTS; clients hear the endpoint is offline. Each lease is reaped by one hub only (the store
 * does it atomically). An endpoint still connected here (its lease lapsed while Redis was away) keeps its tasks.
 * Also drains the queues of endpoints connected here, in case a relayed "queue has work" was lost.
 */
export function startLeaseReaper(hub: HubContext, intervalMs = REAP_INTERVAL_MS): () => void {
  let busy = false;
  const fail = (error: unknown) => hub.log.warn({ err: error }, 'lease check failed');
  const tick = async () => {
    for (const { endpointId, taskIds } of await hub.store.reapExpiredLeases()) {
      if (hub.dispatcher.channelOf(endpointId)) {
        await hub.store.claim(endpointId, taskIds);
        continue;
      }
      if (taskIds.length > 0) {
        hub.log.warn({ endpoint_id: endpointId, tasks: taskIds.length }, 'lease expired: tasks go back to the queue');
        await hub.recovery.requeueLost(endpointId, taskIds);
      }
      await hub.endpointLifecycle.announce(endpointId);
    }
    for (const endpointId of hub.dispatcher.connectedEndpoints()) hub.dispatcher.schedule(endpointId);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    tick()
      .catch(fail)
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
