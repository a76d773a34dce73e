import type { ActionStatus, FlowError, FlowRecord, FlowRunEvent, FlowRunRecord, FlowRunStatus, FlowTriggerRecord, JsonValue } from '@funcx/protocol';

/**
 * What a thread is doing: `queued` (a Map iteration waiting for a free slot), `enter` (about to carry out its
 * state; an Action then starts its action, again with the same request id after a crash), `action` (an action
 * started: poll it), `waiting` (a Wait, until wake_at), `retry` (waiting to try the state again), `map`
 * (waiting for its iterations), `done` and `failed` (a finished iteration, until its Map collects it).
 */
export type ThreadPhase = 'queued' | 'enter' | 'action' | 'waiting' | 'retry' | 'map' | 'done' | 'failed';

/** An action a thread started, as far as the hub knows it. */
export interface ThreadAction {
  url: string;
  /** Sent with run (and as the funcX task's task group): the same request id means the same action. */
  request_id: string;
  action_id?: string;
  status?: ActionStatus;
  started_at: number;
  /** When WaitTime runs out. */
  deadline_at: number;
}

/**
 * One line of execution in a run: the run's main thread, or one Map iteration. Committed at every transition,
 * so that whichever hub drives the run next carries on from exactly here.
 */
export interface FlowThread {
  thread_id: string;
  /** A Map iteration: its Map's thread and its item index. */
  parent?: { thread_id: string; index: number };
  /** The Map states, from the top, whose item processor this thread runs in ([] for the main thread). */
  scope: string[];
  state: string;
  /** Transitions this thread made; with the attempt it makes each action's request id unique. */
  step: number;
  attempt: number;
  /** Retries made so far under each Retry rule of the current state (by rule index). */
  retries?: number[];
  phase: ThreadPhase;
  /** The current state's input, as it arrived (before InputPath). */
  input: JsonValue;
  entered_at: number;
  wake_at?: number;
  action?: ThreadAction;
  /** A Map state's iterations: how many there are, have started and have finished. */
  map?: { total: number; started: number; finished: number };
  output?: JsonValue;
  error?: FlowError;
}

/** An event before the store numbers it. */
export type NewRunEvent = Omit<FlowRunEvent, 'seq'>;

/** One atomic change to a run: its record, threads written or removed, events appended. */
export interface RunChange {
  run?: FlowRunRecord;
  threads?: FlowThread[];
  deleteThreads?: string[];
  events?: NewRunEvent[];
}

export interface RunQuery {
  flowId?: string;
  status?: FlowRunStatus;
  /** Where the previous page ended: its last run's creation time and id. */
  after?: { created: number; runId: string };
  limit: number;
}

/** What was asked of the hub that drives a run (through another hub, or a callback that reached another hub). */
export type RunRequest = 'cancel' | 'poke';

/**
 * Flows, their runs and triggers. A run is driven by one hub at a time, the holder of its lease: only the
 * holder's commits are applied (a hub that lost the lease learns it from the false its commit returns), and a
 * run whose lease runs out is claimed by the next hub that asks. A run that becomes final leaves the leases.
 */
export interface FlowStore {
  putFlow(flow: FlowRecord): Promise<void>;
  getFlow(flowId: string): Promise<FlowRecord | undefined>;
  listFlows(): Promise<FlowRecord[]>;
  deleteFlow(flowId: string): Promise<boolean>;

  /** Creates an ACTIVE run with its first threads and events, leased to `hubId` for `leaseMs`. */
  createRun(hubId: string, leaseMs: number, run: FlowRunRecord, threads: FlowThread[], events: NewRunEvent[]): Promise<void>;
  getRun(runId: string): Promise<FlowRunRecord | undefined>;
  /** A user's runs, newest first (by creation time, then id), that match the query. */
  listRuns(owner: string, query: RunQuery): Promise<FlowRunRecord[]>;
  getThreads(runId: string): Promise<FlowThread[]>;
  /** Events with seq greater than `afterSeq`, in order, at most `limit`. */
  readRunEvents(runId: string, afterSeq: number, limit: number): Promise<FlowRunEvent[]>;
  /** The seq of the run's last event (0 when none). */
  lastRunEventSeq(runId: string): Promise<number>;
  /** Applies the change, all of it, if `hubId` holds the run's lease; false, and nothing changed, when it does not. */
  commitRun(hubId: string, runId: string, change: RunChange): Promise<boolean>;

  /** Leases to `hubId` up to `max` ACTIVE runs whose lease ran out (or that never had one since a restart). */
  claimRuns(hubId: string, leaseMs: number, max: number): Promise<string[]>;
  /** Extends the leases `hubId` holds; says which of these it no longer holds, and what was asked of them. */
  renewRuns(hubId: string, runIds: string[], leaseMs: number): Promise<{ lost: string[]; requests: [runId: string, request: RunRequest][] }>;
  /** Gives the leases up at once (a hub shutting down), so another hub claims the runs without waiting. */
  releaseRuns(hubId: string, runIds: string[]): Promise<void>;
  /** Leaves a request for the hub that drives an ACTIVE run (a cancel is kept over a poke). */
  requestRun(runId: string, request: RunRequest): Promise<void>;

  putTrigger(trigger: FlowTriggerRecord): Promise<void>;
  getTrigger(triggerId: string): Promise<FlowTriggerRecord | undefined>;
  listTriggers(): Promise<FlowTriggerRecord[]>;
  deleteTrigger(triggerId: string): Promise<boolean>;
  /**
   * Records that a trigger fired at `firedAt`. For a schedule, only if its next_fire_at is still `expectedNextAt`,
   * moving it to `nextAt`: false when another hub fired it first (or it was deleted).
   */
  fireTrigger(triggerId: string, firedAt: number, schedule?: { expectedNextAt: number; nextAt: number }): Promise<boolean>;
}

/** Whether a run comes after a page's last run, newest first. */
export function isRunAfter(run: FlowRunRecord, after: RunQuery['after']): boolean {
  if (!after) return true;
  return run.created_at < after.created || (run.created_at === after.created && run.run_id < after.runId);
}

/** Whether a run matches a query's filters (not its page). */
export function matchesRunQuery(run: FlowRunRecord, query: RunQuery): boolean {
  return (query.flowId === undefined || run.flow_id === query.flowId) && (query.status === undefined || run.status === query.status);
}
