import { describeLoad, leastLoaded, reachable, warmFor, type RoutingCandidate, type RoutingPolicy } from './policy.js';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The reasons warming-aware gives, in words for a task with an image and for one without (it runs on a bare worker). */
function reasons(image: string) {
  if (image) {
    return {
      idle: (idle: number) => `warm for image ${image}, ${plural(idle, 'idle worker')}`,
      soon: (warm: number, queued: number) => `warm for image ${image} (${plural(warm, 'warm worker')}, all busy, ${queued} queued)`,
      free: (load: string) => `cold start: no idle worker warm for image ${image}; ${load}`,
      queue: (warm: number, queued: number) => `queued where image ${image} is warm (${plural(warm, 'warm worker')}, ${queued} queued)`,
    };
  }
  // Without an image, "warm" workers are those that ran such tasks, and a free one has nothing to start.
  return {
    idle: (idle: number) => `no container image: ${plural(idle, 'idle worker')}`,
    soon: (warm: number, queued: number) => `no container image: ${plural(warm, 'worker')}, all busy, ${queued} queued`,
    free: (load: string) => `no container image: a free worker; ${load}`,
    queue: (warm: number, queued: number) => `no container image: queued behind ${plural(warm, 'worker')}, ${queued} queued`,
  };
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
  const say = reasons(task.image);
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
  if (idlest) return decide(idlest.candidate, say.idle(idlest.idle));
  if (shortest && shortest.perWarm < 1) return decide(shortest.candidate, say.soon(shortest.warm, shortest.candidate.queued));
  const free = leastLoaded(pool.filter((candidate) => candidate.workers_busy < candidate.workers_total));
  if (free) return decide(free, say.free(describeLoad(free)));
  if (shortest) return decide(shortest.candidate, say.queue(shortest.warm, shortest.candidate.queued));
  const chosen = leastLoaded(pool)!;
  return decide(chosen, `queued: every worker busy; least loaded: ${describeLoad(chosen)}`);
};
