import type { EndpointLoad } from './endpoints.js';
import type { FunctionCode } from './functions.js';
import type { DispatchedTask, TaskCompletion, TaskOutputUpdate, TaskStateUpdate } from './tasks.js';

/**
 * What an endpoint daemon and its managers (one per node of a block, endpoint/src/manager-main.ts) say to each
 * other over TCP: one JSON object a line (newline-delimited JSON, UTF-8), each with its kind in `t`. The manager
 * connects, the daemon is the only listener. The first frame is the manager's `register`, carrying the
 * endpoint's manager secret; the daemon answers `welcome` (or closes the connection). A frame that is not JSON,
 * nests too deep, is longer than MAX_MANAGER_FRAME_BYTES or has the wrong shape drops that manager; its tasks go
 * back to the daemon's queue. Times are epoch milliseconds.
 */

/** The longest frame either side accepts: a batch of completions stays under it (the sender splits). */
export const MAX_MANAGER_FRAME_BYTES = 64 * 1024 * 1024;
/** A manager that sent nothing for this long (no heartbeat, no result) is lost. */
export const MANAGER_HEARTBEAT_MS = 2_000;
export const MANAGER_LOST_AFTER_MS = 10_000;

/** What a node offers, as its manager found it. */
export interface NodeResources {
  cpus: number;
  memory_mb: number;
  /** Accelerator ids (e.g. GPU indices) the manager's workers are pinned to. */
  accelerators: string[];
}

// ---- manager -> daemon ----

export interface ManagerRegister {
  t: 'register';
  secret: string;
  /** The block the provider started this manager in ("" for one started by hand). */
  block_id: string;
  /** The node's host name. */
  node: string;
  pid: number;
  /** Workers this manager runs. */
  workers: number;
  resources: NodeResources;
  /** Host names of every node of the block (for MPI tasks, which span nodes). */
  block_nodes: string[];
  version: string;
}

/** The manager's load and how many tasks it wants to hold (workers plus prefetch), sent as a heartbeat. */
export interface ManagerLoadFrame {
  t: 'load';
  load: EndpointLoad;
  capacity: number;
}

export interface ManagerStatesFrame {
  t: 'states';
  updates: TaskStateUpdate[];
}

export interface ManagerOutputsFrame {
  t: 'outputs';
  updates: TaskOutputUpdate[];
}

/** Completions; `capacity` as in `load`, so the daemon refills without waiting for a heartbeat. */
export interface ManagerDoneFrame {
  t: 'done';
  completions: TaskCompletion[];
  capacity: number;
}

/** A session this manager held is gone (released after its idle time, or ended): the daemon forgets it. */
export interface ManagerSessionGoneFrame {
  t: 'session-gone';
  owner: string;
  name: string;
  /** Why, as the next task of that name is told ("it was idle for 1800 s and was released"). */
  reason: string;
}

export interface ManagerLogFrame {
  t: 'log';
  level: 'info' | 'warn' | 'error';
  line: string;
}

/** A container for `image` could not start; tasks that needed it failed with `message`. */
export interface ManagerContainerProblemFrame {
  t: 'container-problem';
  image: string;
  message: string;
}

/** No worker could start: the manager says why and exits. */
export interface ManagerFailedFrame {
  t: 'failed';
  reason: string;
}

export type ManagerFrame =
  | ManagerRegister
  | ManagerLoadFrame
  | ManagerStatesFrame
  | ManagerOutputsFrame
  | ManagerDoneFrame
  | ManagerSessionGoneFrame
  | ManagerLogFrame
  | ManagerContainerProblemFrame
  | ManagerFailedFrame;

// ---- daemon -> manager ----

/** Accepted: the manager's id and how it runs its workers (the endpoint's config, without its token). */
export interface DaemonWelcome {
  t: 'welcome';
  manager_id: string;
  /** endpoint/src/manager-settings.ts: the settings a manager needs, as JSON. */
  settings: { [key: string]: unknown };
}

/** Tasks for this manager, with the code of functions it has not been sent before. */
export interface DaemonTasksFrame {
  t: 'tasks';
  tasks: DispatchedTask[];
  functions: FunctionCode[];
}

export interface DaemonCancelFrame {
  t: 'cancel';
  task_ids: string[];
}

/** End these sessions (their user asked): their workers stop, their waiting tasks fail. */
export interface DaemonEndSessionsFrame {
  t: 'end-sessions';
  sessions: { owner: string; name: string }[];
}

/** Take no more tasks; finish those held, then exit (a block near its walltime, or scaling in). */
export interface DaemonDrainFrame {
  t: 'drain';
}

/** Stop now: workers are killed, the manager exits. */
export interface DaemonStopFrame {
  t: 'stop';
}

export type DaemonFrame = DaemonWelcome | DaemonTasksFrame | DaemonCancelFrame | DaemonEndSessionsFrame | DaemonDrainFrame | DaemonStopFrame;

export function encodeFrame(frame: ManagerFrame | DaemonFrame): string {
  return JSON.stringify(frame) + '\n';
}
