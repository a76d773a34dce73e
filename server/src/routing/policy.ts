import { POLICY_NAMES, type PolicyName, type WarmImage } from '@funcx/protocol';

export { POLICY_NAMES, type PolicyName };

/** One endpoint a task could go to, as a routing policy sees it. */
export interface RoutingCandidate {
  endpoint_id: string;
  name: string;
  online: boolean;
  workers_total: number;
  workers_busy: number;
  /** Tasks waiting at the endpoint and at the hub for it. */
  queued: number;
  warm: WarmImage[];
}

/** What a policy knows of the task: the container image it runs in ("" for none). */
export interface RoutingTask {
  image: string;
}

export interface RoutingDecision {
  endpoint_id: string;
  policy: PolicyName;
  /** Why, in words a user reads in the notebook and the CLI: "warm for image X, 1 idle worker". */
  reason: string;
}

/** What a policy may remember between decisions (round-robin's position) and its source of randomness. */
export interface RoutingState {
  next: number;
  random(): number;
}

/**
 * A routing policy: a pure function of the task, the candidates and the state it is given. It returns undefined
 * only when there is no candidate. Offline candidates are chosen only when none is online (the task then waits).
 */
export type RoutingPolicy = (task: RoutingTask, candidates: readonly RoutingCandidate[], state: RoutingState) => RoutingDecision | undefined;

/** The online candidates, or all of them when none is online. */
export function reachable(candidates: readonly RoutingCandidate[]): readonly RoutingCandidate[] {
  const online = candidates.filter((candidate) => candidate.online);
  return online.length > 0 ? online : candidates;
}

/** Busy workers and queued tasks per worker: 0 is idle, 1 is full, above 1 has a queue. */
export function loadOf(candidate: RoutingCandidate): number {
  return (candidate.workers_busy + candidate.queued) / Math.max(1, candidate.workers_total);
}

export function describeLoad(candidate: RoutingCandidate): string {
  return `${candidate.workers_busy} of ${candidate.workers_total} workers busy, ${candidate.queued} queued`;
}

/** The least loaded of the candidates (ties: fewer queued, then by name, so a decision repeats). */
export function leastLoaded(candidates: readonly RoutingCandidate[]): RoutingCandidate | undefined {
  let best: RoutingCandidate | undefined;
  for (const candidate of candidates) {
    if (!best) {
      best = candidate;
      continue;
    }
    const difference = loadOf(candidate) - loadOf(best);
    if (difference < 0 || (difference === 0 && (candidate.queued < best.queued || (candidate.queued === best.queued && candidate.name < best.name)))) {
      best = candidate;
    }
  }
  return best;
}

export function warmFor(candidate: RoutingCandidate, image: string): WarmImage | undefined {
  return candidate.warm.find((warm) => warm.image === image);
}

/**
 * Counts a decision into the candidate it chose, so the next task of the same batch sees it: a warm idle
 * worker is taken if there is one; else a free worker starts a container for the image (which is then warm
 * there, busy); else the task queues.
 */
export function assign(candidate: RoutingCandidate, task: RoutingTask): void {
  const warm = warmFor(candidate, task.image);
  if (warm && warm.idle > 0) {
    warm.idle--;
    candidate.workers_busy++;
  } else if (candidate.workers_busy < candidate.workers_total) {
    candidate.workers_busy++;
    if (warm) warm.workers++;
    else candidate.warm = [...candidate.warm, { image: task.image, workers: 1, idle: 0 }];
  } else {
    candidate.queued++;
  }
}
