import type { DataKind, DataReference, StreamItems } from './data.js';
import type { EndpointCapabilities } from './capabilities.js';
import type { EndpointLoad, EndpointView } from './endpoints.js';
import type { JsonValue } from './json.js';
import type { ErrorBody } from './errors.js';
import type { FunctionCode } from './functions.js';
import type { TaskError, TaskOutput, TaskResult } from './outputs.js';
import type { TaskRouting } from './routing.js';
import type { FinalTaskState, StateTimestamps, TaskState } from './task-states.js';
import type {
  BatchSubmitted,
  CachedFrom,
  DispatchedTask,
  TaskCompletion,
  TaskOutputUpdate,
  TaskRecord,
  TaskStateUpdate,
  TaskSubmission,
} from './tasks.js';

/** Socket.IO namespaces of the hub. */
export const ENDPOINT_NAMESPACE = '/endpoint';
export const CLIENT_NAMESPACE = '/client';

/** Socket.IO handshake `auth` for both namespaces. */
export interface SocketAuth {
  token: string;
}

export type Ack<T> = (response: T | { error: ErrorBody }) => void;

// ---- client namespace ----

/**
 * State and final events name the task's endpoint, so a client can place a task it has not heard of yet. The
 * first state event of a task the hub routed carries why it went there.
 */
export type TaskEvent =
  | {
      type: 'state';
      task_id: string;
      endpoint_id?: string;
      state: TaskState;
      timestamps: StateTimestamps;
      routing?: TaskRouting;
      /** As TaskRecord.streams: read the task's items (GET /v1/tasks/ID/items) while it runs. */
      streams?: true;
    }
  | { type: 'output'; task_id: string; output: TaskOutput }
  | {
      type: 'final';
      task_id: string;
      endpoint_id?: string;
      state: FinalTaskState;
      timestamps: StateTimestamps;
      result?: TaskResult;
      error?: TaskError;
      /** The hub answered it from an earlier task's result. */
      cached?: CachedFrom;
      /** The task's session started again in a fresh namespace: why. */
      session_restarted?: string;
      /** As TaskRecord.streams: items may still wait to be read. */
      streams?: true;
    };

export interface ClientToServerEvents {
  /** Submit a batch of tasks; the ack carries their ids in order. */
  'tasks:submit': (request: { tasks: TaskSubmission[] }, ack: Ack<BatchSubmitted>) => void;
  /** Also receive the events of these tasks (own tasks arrive without asking); the ack carries their current records. */
  'tasks:subscribe': (request: { task_ids: string[] }, ack: Ack<{ tasks: TaskRecord[] }>) => void;
  'tasks:cancel': (request: { task_ids: string[] }, ack: Ack<{ cancelled: string[] }>) => void;
  'endpoints:list': (ack: Ack<{ endpoints: EndpointView[] }>) => void;
}

export interface ServerToClientEvents {
  /** Events of the client's tasks, in order, several at a time. */
  'task:events': (events: TaskEvent[]) => void;
  /** Endpoints whose status changed (each in full). */
  'endpoint:status': (endpoints: EndpointView[]) => void;
  /** An endpoint was deleted. */
  'endpoint:removed': (endpointIds: string[]) => void;
  /** The socket's token was revoked (or rotated away): the hub closes the socket right after this. */
  'session:revoked': (error: ErrorBody) => void;
}

// ---- endpoint namespace ----

export interface EndpointHello {
  /** Ids of tasks the daemon still holds (queued or running), so the hub can re-queue the rest. */
  held_task_ids: string[];
  load: EndpointLoad;
  version: string;
  /**
   * Tasks the daemon lost through no fault of their own (its previous run was killed while they waited, or while
   * they ran beside a task under suspicion): the hub requeues them without counting that attempt.
   */
  uncharged_task_ids?: string[];
  /**
   * The only functions the endpoint's config lets it run (ids): the hub keeps the list on the endpoint's record and
   * refuses tasks for other functions. Absent, the hub's list (set through the sharing API, or none) stays.
   */
  allowed_functions?: string[];
  /** The languages and isolation levels it runs; the hub routes only what it can run here (absent: Python in processes). */
  capabilities?: EndpointCapabilities;
}

export interface EndpointToServerEvents {
  /** First message after every (re)connect; the ack carries the endpoint's record. */
  hello: (hello: EndpointHello, ack: Ack<EndpointWelcome>) => void;
  heartbeat: (load: EndpointLoad) => void;
  'tasks:state': (updates: TaskStateUpdate[]) => void;
  'tasks:output': (updates: TaskOutputUpdate[]) => void;
  /**
   * Final states. Sent with an ack, the ack lists the task ids the hub has recorded, which the daemon may then
   * forget. Sent without one (to a hub whose welcome says `receipts`), the hub answers with receipts instead.
   */
  'tasks:done': (completions: TaskCompletion[], ack?: Ack<{ recorded: string[] }>) => void;
}

/** The hub's answer to a hello. */
export interface EndpointWelcome {
  endpoint_id: string;
  name: string;
  /**
   * The hub acknowledges `tasks:done` sent without an ack by receipts: the ids ride on the next `tasks:dispatch`
   * (`recorded`), or go alone in `tasks:receipt` within RECEIPT_DELAY_MS. A task's result then costs no message
   * of its own back to the daemon.
   */
  receipts?: true;
}

/**
 * What the hub did with completions sent without an ack: `recorded` ones the daemon may forget; `unrecorded` ones
 * (with why) it sends again. A receipt may cover several `tasks:done` messages.
 */
export interface DoneReceipt {
  recorded?: string[];
  unrecorded?: string[];
  error?: ErrorBody;
}

/**
 * How long the hub holds the ids of recorded completions for a dispatch to carry before it sends them alone:
 * less than the 5 ms after which a daemon writes a result still unacknowledged to disk.
 */
export const RECEIPT_DELAY_MS = 2;
/** As many ids as the hub lets wait for a dispatch: once this many are owed, their receipt goes out at once. */
export const MAX_RECEIPT_IDS = 10_000;

/** Tasks for a daemon, the code of functions it has not yet been sent, and the ids of completions recorded since. */
export interface DispatchBatch {
  tasks: DispatchedTask[];
  functions: FunctionCode[];
  recorded?: string[];
}

/** A part of a stored value, read for a client through the hub (`bytes` from `offset`, of `total`). */
export interface DataChunk {
  ref: DataReference;
  offset: number;
  total: number;
  bytes: Uint8Array;
}

export interface ServerToEndpointEvents {
  /** A user reads a value of the endpoint's data store through the hub (a part at a time). */
  'data:get': (request: { user: string; url: string; offset: number; length: number }, ack: Ack<DataChunk>) => void;
  /** A user reads the items a generator task yielded (waiting up to `wait_ms` for one). */
  'data:stream': (request: { user: string; task_id: string; from: number; wait_ms: number }, ack: Ack<StreamItems>) => void;
  /** A user sends items to a task's input stream (`done`: no more); the ack waits while the stream is full. */
  'data:send': (request: { user: string; task_id: string; items: JsonValue[]; done: boolean }, ack: Ack<{ accepted: number }>) => void;
  /** A user stores a value in the endpoint's data store through the hub. */
  'data:put': (request: { user: string; kind: DataKind; bytes: Uint8Array }, ack: Ack<{ ref: DataReference }>) => void;
  /** Tasks to run, with the code of every function the daemon has not yet been sent on this connection. */
  'tasks:dispatch': (batch: DispatchBatch) => void;
  /** Completions recorded (or not) since the last dispatch, when no dispatch came within RECEIPT_DELAY_MS. */
  'tasks:receipt': (receipt: DoneReceipt) => void;
  'tasks:cancel': (request: { task_ids: string[] }) => void;
  /** End these sessions: their workers stop, their waiting tasks fail with SessionEnded. */
  'sessions:end': (request: { sessions: { owner: string; name: string }[] }) => void;
}
