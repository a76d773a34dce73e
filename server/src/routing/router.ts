import type { EndpointView, PolicyName, TaskRouting } from '@funcx/protocol';
import { DEFAULT_POLICY, POLICIES, newRoutingState } from './index.js';
import { assign, type RoutingCandidate, type RoutingState } from './policy.js';

/** Routing states kept between submissions (round-robin's turn); the least recently used go beyond this. */
const MAX_KEPT_STATES = 10_000;

/**
 * An endpoint as a policy sees it; `name` is how the submitter writes it (ties go by it). Its load is the larger of
 * what its last heartbeat said (up to a couple of seconds old) and what the hub knows it has handed it and not seen
 * finish (`atHub`: in flight and queued for it), so tasks submitted one after another count each other in too.
 */
export function candidateOf(view: EndpointView, name: string, atHub: number): RoutingCandidate {
  const { status } = view;
  const outstanding = Math.max(status.workers_busy + status.queued, atHub);
  const busy = Math.min(status.workers_total, outstanding);
  const free = status.workers_total - busy;
  return {
    endpoint_id: view.endpoint_id,
    name,
    online: status.online,
    workers_total: status.workers_total,
    workers_busy: busy,
    queued: outstanding - busy,
    warm: status.warm_images.map((warm) => ({ ...warm, idle: Math.min(warm.idle, free) })),
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

  /** The record of a task that goes where its session lives: the policy it would have had, and its candidates. */
  pinned(route: Route, policy: PolicyName | undefined): Omit<TaskRouting, 'reason'> {
    const routing: Omit<TaskRouting, 'reason'> = { policy: policy ?? route.policy ?? DEFAULT_POLICY, candidates: route.candidateIds };
    if (route.group !== undefined) routing.group = route.group;
    return routing;
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
