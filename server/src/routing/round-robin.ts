import { reachable, type RoutingPolicy } from './policy.js';

/** The reachable endpoints in turn. */
export const roundRobin: RoutingPolicy = (_task, candidates, state) => {
  const pool = reachable(candidates);
  if (pool.length === 0) return undefined;
  const chosen = pool[state.next % pool.length];
  state.next = (state.next + 1) % Number.MAX_SAFE_INTEGER;
  return { endpoint_id: chosen.endpoint_id, policy: 'round-robin', reason: `next in turn of ${pool.length}` };
};
