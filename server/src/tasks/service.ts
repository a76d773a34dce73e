import { randomUUID } from 'node:crypto';
import {
  FuncxError,
  MAX_TASK_ATTEMPTS,
  isFinalState,
  isGroupRef,
  type BatchSubmitted,
  type EndpointRecord,
  type FunctionRecord,
  type TaskCompletion,
  type TaskOutputUpdate,
  type TaskRecord,
  type TaskStateUpdate,
  type TaskEvent,
  type TaskRouting,
  type TaskSubmission,
  type AuditChannel,
} from '@funcx/protocol';
import { auditRecord } from '../audit/entries.js';
import { assertOwnsTask } from '../auth/access.js';
import type { EventFanout } from '../events/fanout.js';
import type { FunctionRegistry } from '../functions/registry.js';
import type { HubMetrics } from '../metrics.js';
import type { Route } from '../routing/router.js';
import type { AuditRecord, Store } from '../store/store.js';
import { assertFunctionAllowed } from './allowed-functions.js';
import { now } from './clock.js';
import type { Dispatcher } from './dispatcher.js';
import { appendOutput, applyCompletion, hubError, movesForward, totalOutputBytes } from './records.js';
import { BatchRoutes, type TargetServices } from './targets.js';

/** Tasks created, written and dispatched together while a large batch is taken in. */
const SUBMIT_CHUNK = 2_000;

/** The life of tasks at the hub: creation, every state change, dispatch, cancel and requeue. */
export class TaskService {
  /** Bytes of outputs stored per running task, so each chunk is not re-measured. */
  private readonly outputBytes = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly functions: FunctionRegistry,
    private readonly targets: TargetServices,
    private readonly dispatcher: Dispatcher,
    private readonly fanout: EventFanout,
    private readonly metrics: HubMetrics,
  ) {}

  /**
   * Creates tasks (all or none: one bad submission rejects the batch, naming its index). A large batch is taken
   * in SUBMIT_CHUNK tasks at a time, each chunk written and dispatched while the next is created; the
   * acknowledgement waits for all of them. One audit entry records the whole submission, written with its first
   * chunk (on Redis in the same transaction).
   */
  async submit(user: string, submissions: TaskSubmission[], asBatch: boolean, via: AuditChannel): Promise<BatchSubmitted> {
    const received = now();
    const count = submissions.length;
    const endpointsByRef = new Map<string, EndpointRecord>();
    const functionsByKey = new Map<string, FunctionRecord>();
    // Only a batch with a group or an endpoint list routes: the rest goes the way a single endpoint always went.
    let routed: BatchRoutes | undefined;
    let routes: (Route | undefined)[] | undefined;
    for (let i = 0; i < count; i++) {
      const submission = submissions[i];
      const target = submission.endpoint;
      try {
        const key = functionKey(submission);
        let fn = functionsByKey.get(key);
        if (!fn) functionsByKey.set(key, (fn = await this.resolveFunction(user, submission)));
        if (typeof target === 'string' && !isGroupRef(target)) {
          let endpoint = endpointsByRef.get(target);
          if (!endpoint) endpointsByRef.set(target, (endpoint = await this.targets.endpoints.resolve(user, target)));
          if (endpoint.allowed_functions) assertFunctionAllowed(user, endpoint, fn);
        } else {
          routed ??= new BatchRoutes(user, this.targets, endpointsByRef);
          (routes ??= new Array(count))[i] = await routed.route(target, fn);
        }
      } catch (error) {
        if (error instanceof FuncxError && asBatch) throw new FuncxError(error.code, `tasks[${i}]: ${error.message}`);
        throw error;
      }
    }
    const batchId = asBatch ? randomUUID() : undefined;
    const taskIds: string[] = new Array(count);
    const writes: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += SUBMIT_CHUNK) {
      // The previous chunk's journal write and dispatch go out first (both wait for the next turn).
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(count, start + SUBMIT_CHUNK);
      const records: TaskRecord[] = new Array(end - start);
      const idsByEndpoint = new Map<string, string[]>();
      for (let i = start; i < end; i++) {
        const submission = submissions[i];
        const fn = functionsByKey.get(functionKey(submission))!;
        const image = submission.container_image ?? fn.container_image;
        const route = routes?.[i];
        let endpointId: string;
        let routing: TaskRouting | undefined;
        if (route) ({ endpointId, routing } = this.targets.router.route(route, image ?? '', submission.policy));
        else endpointId = endpointsByRef.get(submission.endpoint as string)!.endpoint_id;
        const task: TaskRecord = {
          task_id: randomUUID(),
          function_id: fn.function_id,
          endpoint_id: endpointId,
          owner: user,
          args: submission.args ?? [],
          kwargs: submission.kwargs ?? {},
          state: 'waiting-for-endpoint',
          timestamps: { received, 'waiting-for-endpoint': received },
          attempts: 0,
          outputs: [],
        };
        if (batchId) task.batch_id = batchId;
        if (routing) task.routing = routing;
        if (submission.timeout_s !== undefined) task.timeout_s = submission.timeout_s;
        if (submission.return_pickle) task.return_pickle = true;
        if (image !== undefined) task.container_image = image;
        if (submission.task_group !== undefined) task.task_group = submission.task_group;
        records[i - start] = task;
        taskIds[i] = task.task_id;
        let ids = idsByEndpoint.get(endpointId);
        if (!ids) idsByEndpoint.set(endpointId, (ids = []));
        ids.push(task.task_id);
      }
      writes.push(this.store.putTasks(records));
      if (start === 0) {
        const submitted = batchId ? { batch_id: batchId } : { task_id: taskIds[0] };
        writes.push(this.store.appendAudit([submissionRecord(user, via, endpointsByRef, routed, functionsByKey, count, submitted)]));
      }
      for (const [endpointId, ids] of idsByEndpoint) writes.push(this.store.enqueue(endpointId, ids));
      for (const endpointId of idsByEndpoint.keys()) this.dispatcher.schedule(endpointId);
      for (const task of records) this.fanout.task(user, submittedEvent(task));
    }
    this.metrics.tasksSubmitted(count);
    await Promise.all(writes);
    // The dispatch (scheduled before the events) is written before the acknowledgement.
    await this.fanout.sent();
    return { batch_id: batchId ?? '', task_ids: taskIds };
  }

  private resolveFunction(user: string, submission: TaskSubmission): Promise<FunctionRecord> {
    return submission.source !== undefined
      ? this.functions.ephemeral(user, submission.source, submission.entrypoint)
      : this.functions.get(user, submission.function_id!);
  }

  /** A task of this user (404 unknown, 403 another user's). */
  async get(user: string, taskId: string): Promise<TaskRecord> {
    const [task] = await this.store.getTasks([taskId]);
    if (!task) throw new FuncxError('FUNCX_TASK_NOT_FOUND', `No task with id ${taskId}`);
    assertOwnsTask(user, task);
    return task;
  }

  /** The current records of the user's own tasks (403 for anyone else's, 404 for unknown ids). */
  async subscribe(user: string, taskIds: string[]): Promise<TaskRecord[]> {
    const tasks = await this.store.getTasks(taskIds);
    return tasks.map((task, i) => {
      if (!task) throw new FuncxError('FUNCX_TASK_NOT_FOUND', `No task with id ${taskIds[i]}`);
      assertOwnsTask(user, task);
      return task;
    });
  }

  /**
   * Cancels the user's tasks at once; dispatched ones are also stopped at their endpoint. Finished tasks are
   * skipped, or a 409 when `strict` (a single REST cancel). Returns the ids cancelled.
   */
  async cancel(user: string, taskIds: string[], strict: boolean): Promise<string[]> {
    const tasks = await this.store.getTasks(taskIds);
    const at = now();
    const cancelled: TaskRecord[] = [];
    const byEndpoint = new Map<string, string[]>();
    const dispatched = new Map<string, string[]>();
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i];
      if (!task) throw new FuncxError('FUNCX_TASK_NOT_FOUND', `No task with id ${taskIds[i]}`);
      assertOwnsTask(user, task);
      if (isFinalState(task.state)) {
        if (strict) throw new FuncxError('FUNCX_TASK_FINISHED', `Task ${task.task_id} has already finished (${task.state}); there is nothing to cancel`);
        continue;
      }
      task.state = 'cancelled';
      task.timestamps.cancelled = at;
      cancelled.push(task);
      let ids = byEndpoint.get(task.endpoint_id);
      if (!ids) byEndpoint.set(task.endpoint_id, (ids = []));
      ids.push(task.task_id);
      if (task.attempts > 0) {
        let sent = dispatched.get(task.endpoint_id);
        if (!sent) dispatched.set(task.endpoint_id, (sent = []));
        sent.push(task.task_id);
      }
    }
    const refused = await this.store.putTasks(cancelled);
    const accepted = withoutIds(cancelled, refused);
    this.finished(accepted);
    const writes: Promise<unknown>[] = [];
    for (const [endpointId, ids] of byEndpoint) {
      this.dispatcher.cancel(endpointId, dispatched.get(endpointId) ?? []);
      writes.push(this.store.release(endpointId, ids));
    }
    await Promise.all(writes);
    return accepted.map((task) => task.task_id);
  }

  /** State reports from an endpoint; only forward moves of its own unfinished tasks count. */
  async onStates(endpointId: string, updates: TaskStateUpdate[]): Promise<void> {
    const tasks = await this.store.getTasks(updates.map((update) => update.task_id));
    const changed: TaskRecord[] = [];
    const at = now();
    for (let i = 0; i < updates.length; i++) {
      const task = tasks[i];
      const update = updates[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(update.state) || !movesForward(task.state, update.state)) continue;
      task.state = update.state;
      Object.assign(task.timestamps, update.timestamps);
      task.timestamps[update.state] ??= at;
      changed.push(task);
      this.fanout.task(task.owner, { type: 'state', task_id: task.task_id, endpoint_id: task.endpoint_id, state: task.state, timestamps: task.timestamps });
    }
    if (changed.length > 0) await this.store.putTasks(changed);
  }

  async onOutputs(endpointId: string, updates: TaskOutputUpdate[]): Promise<void> {
    const tasks = await this.store.getTasks(updates.map((update) => update.task_id));
    const changed = new Set<TaskRecord>();
    for (let i = 0; i < updates.length; i++) {
      const task = tasks[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(task.state)) continue;
      const stored = this.outputBytes.get(task.task_id) ?? totalOutputBytes(task.outputs);
      const appended = appendOutput(task, updates[i].output, stored);
      this.outputBytes.set(task.task_id, appended.storedBytes);
      if (!appended.changed) continue;
      changed.add(task);
      this.fanout.task(task.owner, { type: 'output', task_id: task.task_id, output: updates[i].output });
    }
    if (changed.size > 0) await this.store.putTasks([...changed]);
  }

  /** Final states from an endpoint; returns the ids it may forget (duplicates and late results included). */
  async onDone(endpointId: string, completions: TaskCompletion[]): Promise<string[]> {
    const ids = completions.map((completion) => completion.task_id);
    const tasks = await this.store.getTasks(ids);
    const changed: TaskRecord[] = [];
    const at = now();
    for (let i = 0; i < completions.length; i++) {
      const task = tasks[i];
      if (!task || task.endpoint_id !== endpointId || isFinalState(task.state)) continue;
      applyCompletion(task, completions[i], at);
      changed.push(task);
    }
    const [refused] = await Promise.all([this.store.putTasks(changed), this.store.release(endpointId, ids)]);
    this.finished(withoutIds(changed, refused));
    // The final events, on the client's critical path, are written before the endpoint's acknowledgement.
    await this.fanout.sent();
    return ids;
  }

  /**
   * After an endpoint (re)connects: tasks sent to it that it no longer holds go back to the front of its
   * queue, or fail once they were handed out MAX_TASK_ATTEMPTS times; tasks it holds are in flight again (even
   * if its lease ran out meanwhile). Lost tasks the endpoint names as uncharged are requeued without counting
   * the attempt. Returns held ids the endpoint should drop (finished or unknown at the hub).
   */
  async reconcile(endpointId: string, heldTaskIds: string[], unchargedTaskIds: string[] = []): Promise<string[]> {
    const held = new Set(heldTaskIds);
    const lost = (await this.store.inFlight(endpointId)).filter((id) => !held.has(id));
    if (unchargedTaskIds.length > 0) {
      // The endpoint lost these through no fault of their own (its daemon was killed by another task).
      const uncharged = new Set(unchargedTaskIds);
      const refund = lost.filter((id) => uncharged.has(id));
      if (refund.length > 0) await this.store.refundAttempts(refund);
    }
    await this.requeueLost(endpointId, lost);
    const heldTasks = await this.store.getTasks(heldTaskIds);
    const drop: string[] = [];
    const keep: string[] = [];
    for (let i = 0; i < heldTaskIds.length; i++) {
      const task = heldTasks[i];
      (!task || isFinalState(task.state) || task.endpoint_id !== endpointId ? drop : keep).push(heldTaskIds[i]);
    }
    await this.store.claim(endpointId, keep);
    return drop;
  }

  /**
   * Tasks an endpoint lost (it reconnected without them, or its lease ran out) go back to the front of its
   * queue, or fail once they were handed out MAX_TASK_ATTEMPTS times.
   */
  async requeueLost(endpointId: string, lost: string[]): Promise<void> {
    if (lost.length === 0) return;
    const lostTasks = await this.store.getTasks(lost);
    const retry: TaskRecord[] = [];
    const failed: TaskRecord[] = [];
    const forget: string[] = [];
    const at = now();
    for (let i = 0; i < lost.length; i++) {
      const task = lostTasks[i];
      if (!task || isFinalState(task.state)) forget.push(lost[i]);
      else if (task.attempts >= MAX_TASK_ATTEMPTS) {
        applyCompletion(task, {
          task_id: task.task_id,
          state: 'failed',
          timestamps: {},
          error: hubError('TaskLost', `The endpoint lost this task ${task.attempts} times (the limit is ${MAX_TASK_ATTEMPTS} attempts): it restarted, dropped it or stopped answering before finishing; giving up`),
        }, at);
        failed.push(task);
        forget.push(task.task_id);
      } else {
        task.state = 'waiting-for-endpoint';
        task.timestamps['waiting-for-endpoint'] = at;
        retry.push(task);
        this.fanout.task(task.owner, { type: 'state', task_id: task.task_id, endpoint_id: task.endpoint_id, state: task.state, timestamps: task.timestamps });
      }
    }
    this.metrics.tasksRequeued(retry.length);
    const [refused] = await Promise.all([
      this.store.putTasks([...retry, ...failed]),
      this.store.requeue(endpointId, retry.map((task) => task.task_id)),
      this.store.release(endpointId, forget),
    ]);
    this.finished(withoutIds(failed, refused));
  }

  /** Fails every unfinished task of an endpoint that was deleted. */
  async failEndpointTasks(endpoint: EndpointRecord): Promise<void> {
    const ids = await this.store.dropQueue(endpoint.endpoint_id);
    const tasks = (await this.store.getTasks(ids)).filter((task): task is TaskRecord => !!task && !isFinalState(task.state));
    const at = now();
    for (const task of tasks) {
      applyCompletion(task, {
        task_id: task.task_id,
        state: 'failed',
        timestamps: {},
        error: hubError('EndpointDeleted', `Endpoint "${endpoint.name}" was deleted before this task finished`),
      }, at);
    }
    this.finished(tasks);
    await this.store.putTasks(tasks);
  }

  /** Events and metrics for tasks that just reached their final state. */
  private finished(tasks: TaskRecord[]): void {
    for (const task of tasks) {
      this.outputBytes.delete(task.task_id);
      const state = task.state as 'success' | 'failed' | 'cancelled';
      const { received } = task.timestamps;
      const final = task.timestamps[state];
      this.metrics.taskFinished(state, received !== undefined && final !== undefined ? final - received : undefined);
      const event: { type: 'final' } & Pick<TaskRecord, 'task_id' | 'endpoint_id' | 'timestamps' | 'result' | 'error'> & { state: typeof state } = {
        type: 'final',
        task_id: task.task_id,
        endpoint_id: task.endpoint_id,
        state,
        timestamps: task.timestamps,
      };
      if (task.result !== undefined) event.result = task.result;
      if (task.error !== undefined) event.error = task.error;
      this.fanout.task(task.owner, event);
    }
  }
}

/** The first event of a new task; a routed one says why it went where it did. */
function submittedEvent(task: TaskRecord): TaskEvent {
  const event: TaskEvent = { type: 'state', task_id: task.task_id, endpoint_id: task.endpoint_id, state: task.state, timestamps: task.timestamps };
  if (task.routing) event.routing = task.routing;
  return event;
}

/**
 * The audit record of one submission: who, on which endpoints (for a routed one, every endpoint it could go
 * to, and the groups it named), which functions, how many tasks.
 */
function submissionRecord(
  user: string,
  via: AuditChannel,
  endpoints: Map<string, EndpointRecord>,
  routed: BatchRoutes | undefined,
  functions: Map<string, FunctionRecord>,
  count: number,
  submitted: { batch_id: string } | { task_id: string },
): AuditRecord {
  const endpointIds = new Set<string>(routed?.endpointIds);
  for (const endpoint of endpoints.values()) endpointIds.add(endpoint.endpoint_id);
  const functionIds = new Set<string>();
  for (const fn of functions.values()) functionIds.add(fn.function_id);
  const record = auditRecord({ user, via }, 'task.submit', {
    endpoint_ids: [...endpointIds],
    function_ids: [...functionIds],
    task_count: count,
    ...submitted,
  });
  if (routed && routed.groups.size > 0) record.detail = { endpoint_groups: [...routed.groups] };
  return record;
}

/** These tasks less those whose ids are listed (refused by the store: another final state came first). */
function withoutIds(tasks: TaskRecord[], ids: string[]): TaskRecord[] {
  if (ids.length === 0) return tasks;
  const skip = new Set(ids);
  return tasks.filter((task) => !skip.has(task.task_id));
}

/** Which function a submission runs: a registered function's id, or its inline source and entrypoint. */
function functionKey(submission: TaskSubmission): string {
  const hasSource = submission.source !== undefined;
  if (hasSource === (submission.function_id !== undefined)) {
    throw new FuncxError('FUNCX_BAD_REQUEST', 'Give either function_id (a registered function) or source (inline code), not both or neither');
  }
  return hasSource ? `${submission.entrypoint ?? ''}\0${submission.source}` : submission.function_id!;
}
