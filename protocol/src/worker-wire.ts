import type { FunctionCode } from './functions.js';
import type { JsonValue } from './json.js';
import { MAX_JSON_DEPTH } from './limits.js';
import type { MimeBundle, StreamName, TaskError, TaskResult } from './outputs.js';
import type { DispatchedTask } from './tasks.js';

/**
 * What an endpoint daemon and its Python workers (endpoint/worker/funcx_worker.py) say to each other: one JSON
 * object a line, requests on the worker's fd 3, replies on its fd 4. Times are epoch milliseconds.
 */

/** Define (or redefine) a function; with an entrypoint its source runs once and the named callable is kept. */
export interface WorkerDefineRequest {
  t: 'f';
  f: string;
  s: string;
  e: string | null;
}

/**
 * Run a task; a worker runs its tasks in the order they arrive. `p`: also return the value pickled. `n`: run in
 * the worker's session namespace (a worker kept for one session), which lasts from task to task.
 */
export interface WorkerRunRequest {
  t: 'r';
  i: string;
  f: string;
  a: JsonValue[];
  k: { [key: string]: JsonValue };
  p?: true;
  n?: string;
}

/**
 * The worker's access to its endpoint's data store, sent once, when the worker is first given a user's task
 * (a worker serves one user for its life): `a` the data server's HOST:PORT, `k` that user's data token, `r` the
 * result size (bytes of its reply) above which a value is stored and returned as a reference (0: never).
 */
export interface WorkerDataAccessRequest {
  t: 'u';
  a: string;
  k: string;
  r: number;
}

export type WorkerRequest = WorkerDefineRequest | WorkerRunRequest | WorkerDataAccessRequest;

export type WorkerReadyReply = { t: 'ready'; pid: number; python: string };
/** A task that runs a while has started; `g`: its value is a generator, whose items now stream (TaskRecord.streams). */
export type WorkerStartedReply = { t: 's'; i: string; ts: number; g?: true };
/** Printed text; `i` is null between tasks. */
export type WorkerStreamReply = { t: 'o'; i: string | null; n: StreamName; x: string };
export type WorkerDisplayReply = { t: 'd'; i: string | null; data: MimeBundle; md: { [key: string]: JsonValue } };
export type WorkerSuccessReply = { t: 'ok'; i: string; ts0: number; ts1: number; r: TaskResult };
export type WorkerFailureReply = { t: 'err'; i: string; ts0: number; ts1: number; e: TaskError };

export type WorkerReply =
  | WorkerReadyReply
  | WorkerStartedReply
  | WorkerStreamReply
  | WorkerDisplayReply
  | WorkerSuccessReply
  | WorkerFailureReply;

/** A task's end as a worker reports it. */
export type WorkerCompletionReply = WorkerSuccessReply | WorkerFailureReply;

/**
 * Deepest result value a worker sends as `value` (deeper ones come back as their repr only): a completion nests
 * the value two levels down (completion, result, value), and the hub refuses items deeper than MAX_JSON_DEPTH.
 */
export const MAX_RESULT_VALUE_DEPTH = MAX_JSON_DEPTH - 2;
/** Deepest rich representation (e.g. `application/json`) in a display: output update, output, data, value. */
export const MAX_DISPLAY_VALUE_DEPTH = MAX_JSON_DEPTH - 3;

export function encodeDefine(code: FunctionCode): string {
  const request: WorkerDefineRequest = { t: 'f', f: code.function_id, s: code.source, e: code.entrypoint ?? null };
  return JSON.stringify(request);
}

export function encodeRun(task: Pick<DispatchedTask, 'task_id' | 'function_id' | 'args' | 'kwargs' | 'return_pickle' | 'session'>): string {
  const request: WorkerRunRequest = { t: 'r', i: task.task_id, f: task.function_id, a: task.args, k: task.kwargs };
  if (task.return_pickle) request.p = true;
  if (task.session !== undefined) request.n = task.session;
  return JSON.stringify(request);
}

export function encodeDataAccess(address: string, token: string, resultThresholdBytes: number): string {
  const request: WorkerDataAccessRequest = { t: 'u', a: address, k: token, r: resultThresholdBytes };
  return JSON.stringify(request);
}
