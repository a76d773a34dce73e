import { describeLoad, leastLoaded, reachable, type RoutingPolicy } from './policy.js';

/** The endpoint with the fewest busy workers and queued tasks per worker. */
export const leastLoadedPolicy: RoutingPolicy = (_task, candidates) => {
  const chosen = leastLoaded(reachable(candidates));
  if (!chosen) return undefined;
  return { endpoint_id: chosen.endpoint_id, policy: 'least-loaded', reason: `least loaded: ${describeLoad(chosen)}` };
};
