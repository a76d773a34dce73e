import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { FinalTaskState } from '@funcx/protocol';
import { LatencyHistogram } from './latency-histogram.js';

export type PeerMessageKind = `${'published' | 'received'}:${'shared' | 'user'}`;

/** The hub's Prometheus metrics, in a registry of its own (several hubs may share a process in tests). */
export class HubMetrics {
  readonly registry = new Registry();
  private readonly submitted = new Counter({
    name: 'funcx_tasks_submitted_total',
    help: 'Tasks submitted to this hub',
    registers: [this.registry],
  });
  private readonly finished = new Counter({
    name: 'funcx_tasks_finished_total',
    help: 'Tasks that reached a final state, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  private readonly requeued = new Counter({
    name: 'funcx_tasks_requeued_total',
    help: 'Tasks handed back to the queue because their endpoint no longer held them',
    registers: [this.registry],
  });
  readonly endpointsOnline = new Gauge({
    name: 'funcx_endpoints_online',
    help: 'Endpoints connected to this hub',
    registers: [this.registry],
  });
  private readonly latency = new LatencyHistogram(
    'funcx_task_latency_seconds',
    'Time from a task being received to its final state',
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    this.registry,
  );
  private readonly memoHits = new Counter({
    name: 'funcx_memo_hits_total',
    help: 'Memoized submissions answered from an earlier result, without reaching an endpoint',
    registers: [this.registry],
  });
  private readonly memoMisses = new Counter({
    name: 'funcx_memo_misses_total',
    help: 'Memoized submissions that found no earlier result and ran',
    registers: [this.registry],
  });
  private readonly memoStoredCount = new Counter({
    name: 'funcx_memo_stored_total',
    help: 'Results kept for memoized submissions',
    registers: [this.registry],
  });
  private readonly memoEvicted = new Counter({
    name: 'funcx_memo_evicted_total',
    help: "Memoized results dropped before their time to keep a user's within the hub's limit",
    registers: [this.registry],
  });
  private readonly finishedCounts: Record<FinalTaskState, number> = { success: 0, failed: 0, cancelled: 0 };
  private finishedPending = false;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'funcx_hub_' });
  }

  /**
   * Shows a networked store's calls (counted by the store) as `funcx_store_calls_total{call}`: one per call that
   * went to it, and for scripts also how many round trips they took ("script" alone, or several "scripts in one
   * transaction").
   */
  countStoreCalls(counts: ReadonlyMap<string, number>): void {
    this.mirror(
      'funcx_store_calls_total',
      'Calls this hub made to the shared store (Redis), by store call; scripts of one turn share one round trip',
      ['call'],
      counts,
      (call) => ({ call }),
    );
  }

  /**
   * Shows the messages this hub exchanged with the other hubs on one Redis about their clients' events, by
   * direction and channel (`shared`: endpoints' status; `user`: one user's task events), from counts kept by them.
   */
  countPeerMessages(counts: ReadonlyMap<PeerMessageKind, number>): void {
    this.mirror(
      'funcx_peer_messages_total',
      "Client-event messages this hub published for other hubs' clients or received for its own, by direction and channel",
      ['direction', 'channel'],
      counts,
      (kind) => {
        const [direction, channel] = kind.split(':');
        return { direction, channel };
      },
    );
  }

  /** A counter that shows, whenever it is read, what a part of the hub counted itself since it was last read. */
  private mirror<K extends string>(name: string, help: string, labelNames: string[], counts: ReadonlyMap<K, number>, labelsOf: (key: K) => Record<string, string>): void {
    const shown = new Map<K, number>();
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        for (const [key, count] of counts) {
          const delta = count - (shown.get(key) ?? 0);
          if (delta > 0) this.inc(labelsOf(key), delta);
          shown.set(key, count);
        }
      },
    });
  }

  tasksSubmitted(count: number): void {
    this.submitted.inc(count);
  }

  memoLookups(hits: number, misses: number): void {
    if (hits > 0) this.memoHits.inc(hits);
    if (misses > 0) this.memoMisses.inc(misses);
  }

  memoStored(stored: number, evicted: number): void {
    if (stored > 0) this.memoStoredCount.inc(stored);
    if (evicted > 0) this.memoEvicted.inc(evicted);
  }

  tasksRequeued(count: number): void {
    if (count > 0) this.requeued.inc(count);
  }

  /** Counts a final state; counter increments are folded per tick (a labelled inc per task is measurable). */
  taskFinished(state: FinalTaskState, latencyMs: number | undefined): void {
    this.finishedCounts[state]++;
    if (latencyMs !== undefined && latencyMs >= 0) this.latency.observe(latencyMs / 1000);
    if (!this.finishedPending) {
      this.finishedPending = true;
      setImmediate(() => this.flushFinished());
    }
  }

  async text(): Promise<string> {
    this.flushFinished();
    return this.registry.metrics();
  }

  private flushFinished(): void {
    this.finishedPending = false;
    for (const state of ['success', 'failed', 'cancelled'] as const) {
      if (this.finishedCounts[state] > 0) this.finished.inc({ state }, this.finishedCounts[state]);
      this.finishedCounts[state] = 0;
    }
  }
}
