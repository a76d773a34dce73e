import type { JsonValue } from './json.js';
import type { EndpointTarget, PolicyName, TaskRouting } from './routing.js';
import type { TaskError, TaskOutput, TaskResult } from './outputs.js';
import type { FinalTaskState, StateTimestamps, TaskState } from './task-states.js';

/** An MPI task's shape: it runs on `num_nodes` nodes of one block, `ranks_per_node` ranks on each. */
export interface ResourceSpecification {
  num_nodes: number;
  ranks_per_node: number;
}

/** Most ranks one MPI task may ask for (num_nodes x ranks_per_node). */
export const MAX_MPI_RANKS = 4096;

/** What is wrong with a resource specification, or undefined if nothing is. */
export function resourceSpecificationProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'resource_specification must be an object like {"num_nodes": 1, "ranks_per_node": 2}';
  }
  const spec = value as Record<string, unknown>;
  const extra = Object.keys(spec).filter((key) => key !== 'num_nodes' && key !== 'ranks_per_node');
  if (extra.length > 0) return `resource_specification has unknown field ${extra.join(', ')} (known: num_nodes, ranks_per_node)`;
  for (const key of ['num_nodes', 'ranks_per_node']) {
    const n = spec[key];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      return `resource_specification.${key} must be a whole number of at least 1 (got ${JSON.stringify(n)})`;
    }
  }
  if ((spec.num_nodes as number) * (spec.ranks_per_node as number) > MAX_MPI_RANKS) {
    return `resource_specification asks for more than ${MAX_MPI_RANKS} ranks (num_nodes x ranks_per_node)`;
  }
  return undefined;
}

/** One invocation as a client asks for it: a registered function or inline source, on an endpoint. */
export interface TaskSubmission {
  function_id?: string;
  /** Inline Python source, run like a notebook cell (or `entrypoint` called) without registering first. */
  source?: string;
  entrypoint?: string;
  /**
   * Where to run: an endpoint (id, name of yours, `owner/name`), an endpoint group (`group:NAME`,
   * `group:OWNER/NAME`), or several endpoints (`["a", "bob/b"]`), among which the hub routes each task.
   */
  endpoint: EndpointTarget;
  /** The routing policy when the hub chooses among several endpoints (default: the group's, else the hub's). */
  policy?: PolicyName;
  args?: JsonValue[];
  kwargs?: { [key: string]: JsonValue };
  timeout_s?: number;
  /** Container image to run in, instead of the function's. */
  container_image?: string;
  /** Also return the value pickled (base64, `result.pickle`), for a Python client that can load it. */
  return_pickle?: boolean;
  /**
   * A name the client gives the tasks it submits together over time (an Executor's), to find them again later
   * (`GET /v1/tasks?task_group=`), e.g. after the kernel restarted.
   */
  task_group?: string;
  /** Run as an MPI task: the function runs on every rank under the block's launcher (mpiexec, srun). */
  resource_specification?: ResourceSpecification;
  /**
   * `true`: answer from an earlier task's result when one with the same code, image and arguments succeeded
   * (and keep this one's for later); `false`: run it even when its function is pure. Absent: the function's `pure`.
   */
  cache?: boolean;
  /**
   * The task's id, chosen by the client (a fresh UUID), so that a submission whose answer was lost can be sent
   * again safely: the hub answers a task id it already has (of the same user) with that task instead of making a
   * second one. The hub does not compare the rest of the submission.
   */
  task_id?: string;
  /**
   * Run in this session of the user (protocol/src/sessions.ts): on one worker kept for it, in one namespace
   * that lasts from task to task. Sent to a group or a list, the task goes where the session already lives.
   */
  session?: string;
}

/** Where a memoized task's result came from: the task that computed it. */
export interface CachedFrom {
  task_id: string;
  /** When that task finished (epoch ms). */
  finished_at: number;
}

export interface TaskRecord {
  task_id: string;
  function_id: string;
  endpoint_id: string;
  owner: string;
  batch_id?: string;
  /** Why it went to its endpoint, when the hub chose it among several (a group, or endpoints named together). */
  routing?: TaskRouting;
  args: JsonValue[];
  kwargs: { [key: string]: JsonValue };
  timeout_s?: number;
  return_pickle?: boolean;
  /** The image the task runs in: its own, else its function's (none: the endpoint's default). */
  container_image?: string;
  task_group?: string;
  resource_specification?: ResourceSpecification;
  /** Answered by the hub from an earlier task's result, without reaching an endpoint. */
  cached?: CachedFrom;
  /** The memo key its result is kept under once it succeeds (a task submitted memoized that had to run). */
  cache_key?: string;
  session?: string;
  /** Why the task's session started again in a fresh namespace before it ran (its earlier variables are gone). */
  session_restarted?: string;
  /**
   * The task's value is a generator whose items stream as it yields them (GET /v1/tasks/ID/items): set once its
   * endpoint reports the stream started, cleared when the task is handed out again (the new attempt starts over).
   */
  streams?: true;
  state: TaskState;
  timestamps: StateTimestamps;
  /** How many times the task was handed to an endpoint. */
  attempts: number;
  outputs: TaskOutput[];
  result?: TaskResult;
  error?: TaskError;
}

/** A task as an endpoint receives it. */
export interface DispatchedTask {
  task_id: string;
  function_id: string;
  /** The user who submitted it: a worker that ran one user's code never runs another's. */
  owner: string;
  args: JsonValue[];
  kwargs: { [key: string]: JsonValue };
  timeout_s?: number;
  return_pickle?: boolean;
  /** Container image to run in (none: the endpoint's default image, or no container). */
  container_image?: string;
  resource_specification?: ResourceSpecification;
  /** The session of its owner it runs in. */
  session?: string;
  /**
   * Set by a daemon for a manager: the session's earlier namespace is gone (its manager was lost, or the daemon
   * restarted), and why.
   */
  session_restarted?: string;
}

/** A state change an endpoint reports for a task it holds (not final), or that its stream started (`streams`). */
export interface TaskStateUpdate {
  task_id: string;
  state: TaskState;
  timestamps: StateTimestamps;
  /** As TaskRecord.streams. */
  streams?: true;
}

/** An output chunk an endpoint reports while a task runs. */
export interface TaskOutputUpdate {
  task_id: string;
  output: TaskOutput;
}

/** The end of a task, as an endpoint reports it. */
export interface TaskCompletion {
  task_id: string;
  state: FinalTaskState;
  timestamps: StateTimestamps;
  result?: TaskResult;
  error?: TaskError;
  /** The task's session started again in a fresh namespace before it ran: why. */
  session_restarted?: string;
  /** As TaskRecord.streams: a quick generator's stream is known from its completion only. */
  streams?: true;
}

export interface TaskSubmitted {
  task_id: string;
}

export interface BatchSubmitted {
  batch_id: string;
  task_ids: string[];
}

/** A task as listed: everything but its arguments, outputs and result (GET /v1/tasks/ID has them). */
export type TaskSummary = Omit<TaskRecord, 'args' | 'kwargs' | 'outputs' | 'result'>;

/** One page of `GET /v1/tasks`, newest first; `next_cursor` fetches the next page. */
export interface TaskPage {
  tasks: TaskSummary[];
  next_cursor?: string;
}
