import type { WarmMode } from './config-containers.js';

/** What dispatch reads of a worker (WorkerProcess has all of it). */
export interface DispatchWorker {
  /** "" for a worker without a container. */
  readonly image: string;
  /** The user whose code it has run, if any: it runs only that user's tasks. */
  readonly owner?: string;
  readonly ready: boolean;
  /** On its way out (being repurposed, replaced or stopped): it takes nothing and its slot frees soon. */
  readonly retiring: boolean;
  /** The image started in its slot once it has gone, when it was repurposed. */
  readonly replacement?: string;
  readonly exited: boolean;
  readonly assigned: readonly unknown[];
  /** How many tasks it may hold at once. */
  readonly limit: number;
  /** When it last took or finished a task (performance.now()). */
  readonly lastUsed: number;
  /** Kept for a session: it takes no other task and gives its slot to none. */
  readonly session?: string;
}

export interface DispatchLimits {
  /** Most workers at once, with or without a container (config `workers`). */
  slots: number;
  /** Most workers in containers at once (config `max_warm_containers`). */
  maxContainers: number;
  mode: WarmMode;
  /** Bare workers the pool will restart after a failed start (they hold their slots meanwhile). */
  restartsPending: number;
}

export type Placement<W> =
  /** A ready worker warm for the task's image and user; or a container still starting that no task holds yet. */
  | { action: 'run'; worker: W }
  /** Start a worker for the task's image: a slot is free and the container limit allows it. */
  | { action: 'start' }
  /** Stop this idle worker of another image (or user) and start one for the task's image in its place. */
  | { action: 'repurpose'; worker: W }
  /** Nothing to do now: a worker for the task is on its way, or none may be freed. */
  | { action: 'wait' };

function mayServe(worker: DispatchWorker, owner: string): boolean {
  return worker.owner === undefined || worker.owner === owner;
}

/**
 * Where a task for `image` from `owner` goes, funcX's warm-first policy: to the least busy ready worker warm
 * for its image and user; else to a container of its image that is starting and holds no task yet; else a new
 * worker if a slot is free and (for an image) the container limit allows; else, in soft mode, the least
 * recently used idle worker of another image is repurposed (when the container limit is what binds, that
 * worker must be a container). In hard mode no warm container is stopped for another image's task: only a
 * worker of the task's own image (another user's) or a bare worker (cheap to start again) gives its slot up;
 * the task waits for its image, and idle containers of others leave only when they time out.
 * One pass over the workers; pure, so it is tested apart from any process.
 */
const START = { action: 'start' } as const;
const WAIT = { action: 'wait' } as const;

export function placeTask<W extends DispatchWorker>(image: string, owner: string, workers: readonly W[], limits: DispatchLimits): Placement<W> {
  let best: W | undefined;
  let startingFree: W | undefined;
  let startingBare = false;
  let incoming = false;
  let alive = limits.restartsPending;
  let containers = 0;
  let lruAny: W | undefined;
  let lruContainer: W | undefined;
  let lruSameImage: W | undefined;
  let lruBare: W | undefined;
  for (const worker of workers) {
    if (worker.exited) continue;
    alive++;
    if (worker.image !== '') containers++;
    if (worker.retiring) {
      if (worker.replacement === image) incoming = true;
      continue;
    }
    if (worker.session !== undefined) continue;
    const busy = worker.assigned.length;
    if (worker.image === image && mayServe(worker, owner)) {
      if (!worker.ready) {
        if (image === '') startingBare = true;
        else if (busy === 0) startingFree ??= worker;
        continue;
      }
      if (busy >= worker.limit) continue;
      if (
        !best ||
        busy < best.assigned.length ||
        (busy === best.assigned.length && worker.owner === owner && best.owner === undefined)
      ) {
        best = worker;
      }
      continue;
    }
    if (!worker.ready || busy > 0) continue;
    // An idle worker that cannot take this task: a candidate to make room.
    if (!lruAny || worker.lastUsed < lruAny.lastUsed) lruAny = worker;
    if (worker.image !== '' && (!lruContainer || worker.lastUsed < lruContainer.lastUsed)) lruContainer = worker;
    if (worker.image === image && (!lruSameImage || worker.lastUsed < lruSameImage.lastUsed)) lruSameImage = worker;
    if (worker.image === '' && (!lruBare || worker.lastUsed < lruBare.lastUsed)) lruBare = worker;
  }
  if (best) return { action: 'run', worker: best };
  if (startingFree) return { action: 'run', worker: startingFree };
  // A worker for this image is on its way (starting, restarting, or about to replace one being stopped).
  if (startingBare || incoming || (image === '' && limits.restartsPending > 0)) return WAIT;
  const containerRoom = image === '' || containers < limits.maxContainers;
  if (alive < limits.slots && containerRoom) return START;
  const victim = limits.mode === 'hard' ? (lruSameImage ?? (containerRoom ? lruBare : undefined)) : containerRoom ? lruAny : lruContainer;
  return victim ? { action: 'repurpose', worker: victim } : WAIT;
}
