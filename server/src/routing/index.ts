import { leastLoadedPolicy } from './least-loaded.js';
import type { PolicyName, RoutingPolicy, RoutingState } from './policy.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { warmingAware } from './warming-aware.js';

export * from './policy.js';

/** Every routing policy by name. */
export const POLICIES: Record<PolicyName, RoutingPolicy> = {
  random,
  'round-robin': roundRobin,
  'least-loaded': leastLoadedPolicy,
  'warming-aware': warmingAware,
};

export { DEFAULT_POLICY } from '@funcx/protocol';

export function newRoutingState(random: () => number = Math.random): RoutingState {
  return { next: 0, random };
}
