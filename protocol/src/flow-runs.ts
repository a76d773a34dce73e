import type { FlowDefinition } from './flows.js';
import type { JsonObject, JsonValue } from './json.js';

/** A run is ACTIVE until it reaches one of the other three, once. */
export type FlowRunStatus = 'ACTIVE' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** An error as states see it (in Catch, in a failed run): a name to match in ErrorEquals and what happened. */
export interface FlowError {
  Error: string;
  Cause: string;
  /** What the action reported (a funcX task's Python exception, a provider's details). */
  Details?: JsonValue;
}

/** `POST /v1/flows/:id/run`. */
export interface FlowRunRequest {
  input?: JsonValue;
  /** Shown beside the run in lists. */
  label?: string;
}

export interface FlowRunRecord {
  run_id: string;
  flow_id: string;
  flow_title: string;
  /** The user the run runs as: every action acts with their rights, never more. */
  owner: string;
  status: FlowRunStatus;
  label?: string;
  /** The trigger that started it, if one did. */
  trigger_id?: string;
  input: JsonValue;
  output?: JsonValue;
  error?: FlowError;
  /** The definition as it was when the run started (a later change to the flow does not touch it). */
  definition: FlowDefinition;
  created_at: number;
  completed_at?: number;
  /** Set once a cancel was asked for and not yet carried out (another hub drives the run). */
  cancel_requested?: boolean;
}

/** A run as listed (no definition, input or output). */
export type FlowRunSummary = Omit<FlowRunRecord, 'definition' | 'input' | 'output'>;

export type FlowRunEventType =
  | 'run_started'
  | 'run_resumed'
  | 'state_entered'
  | 'action_started'
  | 'action_status'
  | 'wait_started'
  | 'retry_scheduled'
  | 'map_started'
  | 'state_succeeded'
  | 'state_failed'
  | 'caught'
  | 'run_succeeded'
  | 'run_failed'
  | 'run_cancelled';

/** One line of a run's event log; the store numbers them in order (`seq` from 1). */
export interface FlowRunEvent {
  seq: number;
  /** Epoch ms. */
  at: number;
  type: FlowRunEventType;
  /** The state, as `Name` at the top level or `Map/Name` inside a Map's item processor. */
  state?: string;
  /** Inside a Map: the iteration (item index). */
  item?: number;
  /** map_started: how many items the Map runs over. */
  items?: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: FlowError;
  /** Actions: the provider's status document; waits and retries: until when. */
  action?: ActionStatus;
  until?: number;
  /** run_resumed: which hub took the run over. */
  hub?: string;
}

export type FlowStateStatus = 'pending' | 'active' | 'succeeded' | 'failed';

/** What the view and the CLI show of one state, from the event log. */
export interface FlowStateSummary {
  status: FlowStateStatus;
  /** Times the state was entered (loops, retries and Map iterations count). */
  visits: number;
  input?: JsonValue;
  output?: JsonValue;
  error?: FlowError;
  action?: ActionStatus;
  entered_at?: number;
  ended_at?: number;
  /** Map states, and states inside a Map: iterations by what they are doing. */
  iterations?: { total: number; active: number; succeeded: number; failed: number };
}

/** `GET /v1/flow-runs/:id`: the run, its states' summaries and its events after `events_after`. */
export interface FlowRunView extends FlowRunRecord {
  states: { [state: string]: FlowStateSummary };
  events: FlowRunEvent[];
  /** The seq of the last event in the log (ask again with `events_after` set to it for what follows). */
  last_seq: number;
}

/** One page of `GET /v1/flow-runs`, newest first. */
export interface FlowRunPage {
  runs: FlowRunSummary[];
  next_cursor?: string;
}

// ---- triggers ----

export type FlowTriggerKind = 'cron' | 'webhook';

/** `POST /v1/flows/:id/triggers`. */
export interface FlowTriggerRequest {
  kind: FlowTriggerKind;
  /** cron: five fields (minute hour day month weekday), or six with seconds first. */
  cron?: string;
  /** cron: an IANA time zone (default UTC). */
  timezone?: string;
  /** The run's input; a webhook's JSON body is merged over it. */
  input?: JsonObject;
  label?: string;
}

export interface FlowTriggerRecord {
  trigger_id: string;
  flow_id: string;
  /** Runs it starts run as this user. */
  owner: string;
  kind: FlowTriggerKind;
  cron?: string;
  timezone?: string;
  input?: JsonObject;
  label?: string;
  created_at: number;
  /** cron: the next time it fires (epoch ms). */
  next_fire_at?: number;
  last_fired_at?: number;
  /** webhook: sha256 of its secret (the secret itself is shown once, when the trigger is made). */
  secret_hash?: string;
}

/** A trigger as the API shows it: never its secret's hash. */
export type FlowTriggerView = Omit<FlowTriggerRecord, 'secret_hash'> & { webhook_path?: string };

export interface FlowTriggerCreated extends FlowTriggerView {
  /** webhook: send it as `X-Funcx-Trigger-Secret`; it is not shown again. */
  secret?: string;
}

// ---- the action-provider API (as Globus Flows defines it) ----

export type ActionStatusValue = 'ACTIVE' | 'SUCCEEDED' | 'FAILED' | 'INACTIVE';

/** What `run`, `status`, `cancel` and `release` answer. */
export interface ActionStatus {
  action_id: string;
  status: ActionStatusValue;
  display_status?: string;
  details?: JsonValue;
  creator_id?: string;
  label?: string;
  start_time?: string;
  completion_time?: string;
  release_after?: string;
}

/** `POST {ActionUrl}/run`. */
export interface ActionRunRequest {
  /** The same request_id means the same action: a provider asked again answers with the action it started. */
  request_id: string;
  /** The state's Parameters, evaluated. */
  body: JsonObject;
  label?: string;
  /** POST here (no body needed) when the action's status changes; the hub then asks for it at once. */
  callback_url?: string;
}

export const FINAL_ACTION_STATUSES: readonly ActionStatusValue[] = ['SUCCEEDED', 'FAILED'];
