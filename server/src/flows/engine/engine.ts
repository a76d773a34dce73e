import { randomUUID } from 'node:crypto';
import type { FlowRecord, FlowRunRecord, JsonValue } from '@funcx/protocol';
import type { FlowStore, FlowThread, NewRunEvent } from '../../store/flow-store.js';
import type { ActionProviders } from '../actions/providers.js';
import { systemClock, type FlowClock } from './clock.js';
import { eventValue } from './run-scope.js';
import { RunDriver, type DriverSettings } from './run-driver.js';

/** How long a hub's lease on a run lasts without renewal; another hub claims the run once it runs out. */
export const FLOW_RUN_LEASE_MS = 10_000;
/** How often a hub looks for runs to claim (new ones, those whose hub died). */
export const FLOW_CLAIM_INTERVAL_MS = 1_000;
/** Runs claimed in one store call. */
const CLAIM_BATCH = 500;

export interface EngineOptions {
  store: FlowStore;
  providers: ActionProviders;
  clock?: FlowClock;
  leaseMs?: number;
  claimIntervalMs?: number;
  settings: DriverSettings;
  onError: (error: unknown, what: string) => void;
}

export interface NewRun {
  owner: string;
  flow: FlowRecord;
  input: JsonValue;
  label?: string;
  triggerId?: string;
}

/**
 * The runs this hub drives. Each hub has its own id; it drives a run while it holds the run's lease in the
 * store, renews its leases a few times per lease, and claims every second the ACTIVE runs no hub holds: runs
 * of a hub that died (or of this hub before a restart) are carried on by whichever hub claims them first.
 */
export class FlowEngine {
  readonly hubId = randomUUID();
  private readonly drivers = new Map<string, RunDriver>();
  private readonly clock: FlowClock;
  private readonly leaseMs: number;
  private claimTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private claiming: Promise<void> | undefined;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? FLOW_RUN_LEASE_MS;
  }

  /** Starts claiming and renewing (claims at once: a restarted hub carries on with its runs right away). */
  start(): void {
    const claimEvery = this.options.claimIntervalMs ?? FLOW_CLAIM_INTERVAL_MS;
    this.claimTimer = setInterval(() => void this.claim(), claimEvery);
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.claimTimer.unref();
    this.renewTimer.unref();
    void this.claim();
  }

  set publicUrl(url: string | undefined) {
    this.options.settings.publicUrl = url;
  }

  get publicUrl(): string | undefined {
    return this.options.settings.publicUrl;
  }

  /** Creates a run (leased to this hub) and starts it. */
  async startRun(request: NewRun): Promise<FlowRunRecord> {
    const now = this.clock.now();
    const { flow } = request;
    const run: FlowRunRecord = {
      run_id: randomUUID(),
      flow_id: flow.flow_id,
      flow_title: flow.title,
      owner: request.owner,
      status: 'ACTIVE',
      input: request.input,
      definition: flow.definition,
      created_at: now,
    };
    if (request.label !== undefined) run.label = request.label;
    if (request.triggerId !== undefined) run.trigger_id = request.triggerId;
    const main: FlowThread = { thread_id: 'main', scope: [], state: flow.definition.StartAt, step: 0, attempt: 0, phase: 'enter', input: request.input, entered_at: now };
    const events: NewRunEvent[] = [
      { at: now, type: 'run_started', input: eventValue(request.input) },
      { at: now, type: 'state_entered', state: main.state, input: eventValue(request.input) },
    ];
    await this.options.store.createRun(this.hubId, this.leaseMs, run, [main], events);
    this.carryOn(this.driver(run, [main]));
    return run;
  }

  /** The driver of a run this hub drives now. */
  driving(runId: string): RunDriver | undefined {
    return this.drivers.get(runId);
  }

  get runCount(): number {
    return this.drivers.size;
  }

  private driver(run: FlowRunRecord, threads: FlowThread[]): RunDriver {
    const driver = new RunDriver(
      {
        hubId: this.hubId,
        store: this.options.store,
        clock: this.clock,
        providers: this.options.providers,
        settings: this.options.settings,
        onError: this.options.onError,
        onStopped: (runId) => {
          if (this.drivers.get(runId) === driver) this.drivers.delete(runId);
        },
      },
      run,
      threads,
    );
    this.drivers.set(run.run_id, driver);
    return driver;
  }

  /** Starts a driver's threads (a store that fails now is reported; the lease lapses and a claim retries). */
  private carryOn(driver: RunDriver, resumedBy?: string): void {
    driver.start(resumedBy).catch((error: unknown) => {
      this.options.onError(error, `starting flow run ${driver.run.run_id}`);
      driver.stop();
    });
  }

  /** Claims runs no hub holds and carries on with them, as many rounds as there are runs to claim. */
  claim(): Promise<void> {
    if (this.claiming || this.closed) return this.claiming ?? Promise.resolve();
    this.claiming = (async () => {
      try {
        for (;;) {
          const ids = await this.options.store.claimRuns(this.hubId, this.leaseMs, CLAIM_BATCH);
          const store = this.options.store;
          const loaded = await Promise.all(ids.filter((id) => !this.drivers.has(id)).map((id) => Promise.all([store.getRun(id), store.getThreads(id)])));
          for (const [run, threads] of loaded) {
            if (!run || run.status !== 'ACTIVE' || this.closed) continue;
            this.carryOn(this.driver(run, threads), this.hubId);
          }
          if (ids.length < CLAIM_BATCH || this.closed) break;
        }
      } catch (error) {
        this.options.onError(error, 'claiming flow runs');
      } finally {
        this.claiming = undefined;
      }
    })();
    return this.claiming;
  }

  private async renew(): Promise<void> {
    if (this.drivers.size === 0 || this.closed) return;
    try {
      const { lost, requests } = await this.options.store.renewRuns(this.hubId, [...this.drivers.keys()], this.leaseMs);
      for (const runId of lost) this.drivers.get(runId)?.stop();
      for (const [runId, request] of requests) {
        const driver = this.drivers.get(runId);
        if (request === 'cancel') driver?.cancel().catch((error: unknown) => this.options.onError(error, `cancelling flow run ${runId}`));
        else driver?.pokeByToken(undefined);
      }
    } catch (error) {
      this.options.onError(error, 'renewing flow run leases');
    }
  }

  /** Stops driving every run and gives their leases up, so that another hub (or this one restarted) carries on at once. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.claimTimer);
    clearInterval(this.renewTimer);
    await this.claiming;
    const ids = [...this.drivers.keys()];
    for (const driver of [...this.drivers.values()]) driver.stop();
    await this.options.store.releaseRuns(this.hubId, ids).catch((error: unknown) => this.options.onError(error, 'releasing flow runs'));
  }
}
