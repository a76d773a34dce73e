import type { EndpointView, PolicyName, TaskRouting } from '@funcx/protocol';
import { DEFAULT_POLICY, POLICIES, newRoutingState } from './index.js';
import { assign, type RoutingCandidate, type RoutingState } from './policy.js';

/** Routing states kept between submissions (round-robin's turn); the least recently used go beyond this. */
const MAX_KEPT_STATES = 10_000;

/** An endpoint as a policy sees it, from its live view; `name` is how the submitter writes it (ties go by it). */
export function candidateOf(view: EndpointView, name: string): RoutingCandidate {
  const { status } = view;
  return {
    endpoint_id: view.endpoint_id,
    name,
    online: status.online,
    workers_total: status.workers_total,
    workers_busy: status.workers_busy,
    queued: status.queued,
    warm: status.warm_images.map((warm) => ({ ...warm })),
  };
}

/**
 * Where the tasks of one submission target (several endpoints, or a group) may go. Its candidates are shared
 * with every other route of the same batch that holds the same endpoint, so each decision counted into one
 * (`assign`) is seen by the next task of the batch, whichever target it named.
 */
export interface Route {
  candidates: RoutingCandidate[];
  /** The candidates' ids, as each task records them. */
  candidateIds: string[];
  /** The group's policy; a submission's own comes first, the hub's default last. */
  policy?: PolicyName;
  /** The group as the submitter wrote it. */
  group?: string;
  state: RoutingState;
}

/** Routes tasks with the hub's policies and keeps what a policy remembers between submissions. */
export class Router {
  private readonly states = new Map<string, RoutingState>();

  constructor(private readonly random: () => number = Math.random) {}

  /** The state of the routes of one user and target (round-robin goes on in turn from the last submission). */
  state(key: string): RoutingState {
    let state = this.states.get(key);
    if (state) {
      this.states.delete(key);
    } else {
      state = newRoutingState(this.random);
      if (this.states.size >= MAX_KEPT_STATES) this.states.delete(this.states.keys().next().value!);
    }
    this.states.set(key, state);
    return state;
  }

  /** Decides where one task goes and counts it in, so the next task of the batch sees it. */
  route(route: Route, image: string, policy: PolicyName | undefined): { endpointId: string; routing: TaskRouting } {
    const name = policy ?? route.policy ?? DEFAULT_POLICY;
    const task = { image };
    const decision = POLICIES[name](task, route.candidates, route.state)!;
    assign(route.candidates.find((candidate) => candidate.endpoint_id === decision.endpoint_id)!, task);
    const routing: TaskRouting = { policy: decision.policy, reason: decision.reason, candidates: route.candidateIds };
    if (route.group !== undefined) routing.group = route.group;
    return { endpointId: decision.endpoint_id, routing };
  }
}
