import { describeLoad, leastLoaded, reachable, warmFor, type RoutingCandidate, type RoutingPolicy } from './policy.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Where a container for the task's image is already warm, as funcX routes. In order: an endpoint with an idle
 * worker warm for the image (most idle first); one whose warm workers for it have less than one task queued each
 * (the task soon runs warm there); one with a free worker (a cold start); the warm one with the shortest queue per
 * warm worker; else the least loaded. Keeping an image where it is warm also spares the other endpoints' warm
 * containers: a greedy "start soonest" choice evicts them, and costs more cold starts later (the routing bench
 * measured it).
 */
export const warmingAware: RoutingPolicy = (task, candidates) => {
  const pool = reachable(candidates);
  if (pool.length === 0) return undefined;
  const { image } = task;
  // A task without an image runs on a bare worker: nothing to start cold, and "warm" means idle.
  const warmText = image ? `warm for image ${image}` : 'warm (no container image)';
  const decide = (candidate: RoutingCandidate, reason: string) => ({ endpoint_id: candidate.endpoint_id, policy: 'warming-aware' as const, reason });

  let idlest: { candidate: RoutingCandidate; idle: number } | undefined;
  let shortest: { candidate: RoutingCandidate; perWarm: number; warm: number } | undefined;
  for (const candidate of pool) {
    const warm = warmFor(candidate, task.image);
    if (!warm || warm.workers === 0) continue;
    if (warm.idle > 0 && (!idlest || warm.idle > idlest.idle)) idlest = { candidate, idle: warm.idle };
    const perWarm = candidate.queued / warm.workers;
    if (!shortest || perWarm < shortest.perWarm) shortest = { candidate, perWarm, warm: warm.workers };
  }
  if (idlest) return decide(idlest.candidate, `${warmText}, ${plural(idlest.idle, 'idle worker')}`);
  if (shortest && shortest.perWarm < 1) {
    return decide(shortest.candidate, `${warmText} (${plural(shortest.warm, 'warm worker')}, all busy, ${shortest.candidate.queued} queued)`);
  }
  const free = leastLoaded(pool.filter((candidate) => candidate.workers_busy < candidate.workers_total));
  if (free) return decide(free, image ? `cold start: no idle worker warm for image ${image}; ${describeLoad(free)}` : `a free worker: ${describeLoad(free)}`);
  if (shortest) {
    return decide(shortest.candidate, `queued where ${image ? `image ${image} is` : 'workers are'} warm (${plural(shortest.warm, 'warm worker')}, ${shortest.candidate.queued} queued)`);
  }
  const chosen = leastLoaded(pool)!;
  return decide(chosen, `queued: every worker busy; least loaded: ${describeLoad(chosen)}`);
};
