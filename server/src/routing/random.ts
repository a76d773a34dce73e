import { reachable, type RoutingPolicy } from './policy.js';

/** Any reachable endpoint, uniformly. */
export const random: RoutingPolicy = (_task, candidates, state) => {
  const pool = reachable(candidates);
  if (pool.length === 0) return undefined;
  const chosen = pool[Math.min(pool.length - 1, Math.floor(state.random() * pool.length))];
  return { endpoint_id: chosen.endpoint_id, policy: 'random', reason: `chosen at random among ${pool.length}` };
};
