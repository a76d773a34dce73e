import { assign, newRoutingState, POLICIES, type PolicyName, type RoutingCandidate } from '@funcx/hub/routing';

/**
 * A discrete-event simulation of the funcX routing experiment: tasks of functions that each run in one of a few
 * container images arrive at the hub, a routing policy (the hub's own, unchanged) sends each to an endpoint,
 * and each endpoint runs them warm-first on a fixed number of worker slots, each slot holding one warm container.
 */
export interface Scenario {
  endpoints: number;
  /** Worker slots (warm containers) per endpoint. */
  slots: number;
  images: number;
  tasks: number;
  /** Seconds a task runs. */
  taskSeconds: number;
  /** Seconds a cold container start costs. */
  coldStartSeconds: number;
  /** Tasks per second arriving at the hub; Infinity submits them all at once, as one batch. */
  arrivalsPerSecond: number;
  seed: number;
}

export interface Outcome {
  policy: PolicyName;
  /** Seconds from the first arrival to the last completion. */
  makespan: number;
  /** Mean seconds from a task's arrival to its completion. */
  meanCompletion: number;
  coldStarts: number;
}

interface Slot {
  image: string | undefined;
  busy: boolean;
  lastUsed: number;
}

interface Task {
  image: string;
  arrivedAt: number;
}

interface Endpoint {
  id: string;
  slots: Slot[];
  queue: Task[];
}

/** Mulberry32: a small seeded generator, so every policy sees the same arrivals. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class EventQueue {
  private readonly heap: { at: number; run: () => void }[] = [];
  push(at: number, run: () => void): void {
    const heap = this.heap;
    heap.push({ at, run });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].at <= heap[i].at) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }
  pop(): { at: number; run: () => void } | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && heap[left].at < heap[smallest].at) smallest = left;
        if (right < heap.length && heap[right].at < heap[smallest].at) smallest = right;
        if (smallest === i) break;
        [heap[smallest], heap[i]] = [heap[i], heap[smallest]];
        i = smallest;
      }
    }
    return top;
  }
}

/** What the hub would see of an endpoint: its load and its warm images. */
function candidateOf(endpoint: Endpoint): RoutingCandidate {
  const warm = new Map<string, { image: string; workers: number; idle: number }>();
  let busy = 0;
  for (const slot of endpoint.slots) {
    if (slot.busy) busy++;
    if (slot.image === undefined) continue;
    let entry = warm.get(slot.image);
    if (!entry) warm.set(slot.image, (entry = { image: slot.image, workers: 0, idle: 0 }));
    entry.workers++;
    if (!slot.busy) entry.idle++;
  }
  return {
    endpoint_id: endpoint.id,
    name: endpoint.id,
    online: true,
    workers_total: endpoint.slots.length,
    workers_busy: busy,
    queued: endpoint.queue.length,
    warm: [...warm.values()],
  };
}

export function simulate(scenario: Scenario, policyName: PolicyName): Outcome {
  const random = seeded(scenario.seed);
  const routing = newRoutingState(seeded(scenario.seed + 1));
  const policy = POLICIES[policyName];
  const events = new EventQueue();
  const endpoints: Endpoint[] = Array.from({ length: scenario.endpoints }, (_, i) => ({
    id: `endpoint-${i}`,
    slots: Array.from({ length: scenario.slots }, () => ({ image: undefined, busy: false, lastUsed: 0 })),
    queue: [],
  }));
  let now = 0;
  let finished = 0;
  let completionSum = 0;
  let coldStarts = 0;

  const start = (endpoint: Endpoint, slot: Slot, task: Task): void => {
    const cold = slot.image !== task.image;
    if (cold) coldStarts++;
    slot.image = task.image;
    slot.busy = true;
    events.push(now + (cold ? scenario.coldStartSeconds : 0) + scenario.taskSeconds, () => {
      slot.busy = false;
      slot.lastUsed = now;
      finished++;
      completionSum += now - task.arrivedAt;
      dispatch(endpoint);
    });
  };

  // Inside an endpoint, warm first: an idle container takes a queued task of its own image before any other;
  // else the oldest task starts cold in an empty slot, or in the least recently used idle container of another
  // image (soft mode: that container is replaced).
  const dispatch = (endpoint: Endpoint): void => {
    while (endpoint.queue.length > 0) {
      const idle = endpoint.slots.filter((slot) => !slot.busy);
      if (idle.length === 0) return;
      let started = false;
      for (const slot of idle) {
        const index = endpoint.queue.findIndex((task) => task.image === slot.image);
        if (index === -1) continue;
        start(endpoint, slot, endpoint.queue.splice(index, 1)[0]);
        started = true;
        break;
      }
      if (started) continue;
      const slot =
        idle.find((candidate) => candidate.image === undefined) ??
        idle.reduce((oldest, candidate) => (candidate.lastUsed < oldest.lastUsed ? candidate : oldest));
      start(endpoint, slot, endpoint.queue.shift()!);
    }
  };

  const route = (images: string[]): void => {
    // A batch is routed as the hub routes one: each decision counted into what the next one sees.
    const candidates = endpoints.map(candidateOf);
    for (const image of images) {
      const decision = policy({ image }, candidates, routing)!;
      assign(candidates.find((candidate) => candidate.endpoint_id === decision.endpoint_id)!, { image });
      endpoints.find((candidate) => candidate.id === decision.endpoint_id)!.queue.push({ image, arrivedAt: now });
    }
    for (const endpoint of endpoints) dispatch(endpoint);
  };
  const imageOf = () => `image-${Math.floor(random() * scenario.images)}`;
  if (scenario.arrivalsPerSecond === Infinity) {
    const images = Array.from({ length: scenario.tasks }, imageOf);
    events.push(0, () => route(images));
  } else {
    let arrival = 0;
    for (let n = 0; n < scenario.tasks; n++) {
      arrival += -Math.log(1 - random()) / scenario.arrivalsPerSecond;
      const image = imageOf();
      events.push(arrival, () => route([image]));
    }
  }
  for (let event = events.pop(); event; event = events.pop()) {
    now = event.at;
    event.run();
  }
  if (finished !== scenario.tasks) throw new Error(`${scenario.tasks - finished} tasks never finished`);
  return { policy: policyName, makespan: now, meanCompletion: completionSum / finished, coldStarts };
}
