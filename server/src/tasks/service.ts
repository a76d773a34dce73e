import { randomUUID } from 'node:crypto';
import {
  FuncxError,
  isFinalState,
  isGroupRef,
  type BatchSubmitted,
  type EndpointRecord,
  type FunctionRecord,
  type TaskRecord,
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
import type { SessionService } from '../sessions/service.js';
import type { AuditRecord, Store } from '../store/store.js';
import { assertFunctionAllowed } from './allowed-functions.js';
import { alreadySubmitted, answerAgain, earlierBatchId } from './client-task-ids.js';
import { assertCanRun } from './capabilities.js';
import { now } from './clock.js';
import type { Dispatcher } from './dispatcher.js';
import type { EndingTasks } from './ending-tasks.js';
import { cachedTask, type Memo } from '../memo/memo.js';
import { BatchRoutes, type TargetServices } from './targets.js';
import { withoutIds, type TaskEvents } from './task-events.js';

/** Tasks created, written and dispatched together while a large batch is taken in. */
const SUBMIT_CHUNK = 2_000;

/**
 * Tasks as their owners see them: submitting (routed when asked), reading and cancelling. What endpoints report
 * is EndpointReports'; what they lose is TaskRecovery's.
 */
export class TaskService {
  constructor(
    private readonly store: Store,
    private readonly functions: FunctionRegistry,
    private readonly targets: TargetServices,
    private readonly dispatcher: Dispatcher,
    private readonly fanout: EventFanout,
    private readonly metrics: HubMetrics,
    private readonly events: TaskEvents,
    private readonly ending: EndingTasks,
    private readonly memo?: Memo,
    private readonly sessions?: SessionService,
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
    const existing = await alreadySubmitted(this.store, user, submissions, asBatch);
    if (existing && existing.size === count) return answerAgain(existing, count);
    const endpointsByRef = new Map<string, EndpointRecord>();
    const functionsByKey = new Map<string, FunctionRecord>();
    // Only a batch with a group or an endpoint list routes: the rest goes the way a single endpoint always went.
    let routed: BatchRoutes | undefined;
    let routes: (Route | undefined)[] | undefined;
    for (let i = 0; i < count; i++) {
      if (existing?.has(i)) continue;
      const submission = submissions[i];
      const target = submission.endpoint;
      try {
        if (submission.session !== undefined && submission.resource_specification !== undefined) {
          throw new FuncxError(
            'FUNCX_BAD_REQUEST',
            'An MPI task (resource_specification) runs on ranks of its own and cannot run in a session: give session or resource_specification, not both',
          );
        }
        const key = functionKey(submission);
        let fn = functionsByKey.get(key);
        if (!fn) functionsByKey.set(key, (fn = await this.resolveFunction(user, submission)));
        if (typeof target === 'string' && !isGroupRef(target)) {
          let endpoint = endpointsByRef.get(target);
          if (!endpoint) endpointsByRef.set(target, (endpoint = await this.targets.endpoints.resolveToSubmit(user, target)));
          if (endpoint.allowed_functions) assertFunctionAllowed(user, endpoint, fn);
          assertCanRun(user, endpoint, fn);
        } else {
          routed ??= new BatchRoutes(user, this.targets, endpointsByRef);
          (routes ??= new Array(count))[i] = await routed.route(target, fn);
        }
      } catch (error) {
        if (error instanceof FuncxError && asBatch) throw new FuncxError(error.code, `tasks[${i}]: ${error.message}`);
        throw error;
      }
    }
    // A routed session task goes where its session lives (looked up once per session of the batch).
    let pins: (string | undefined)[] | undefined;
    if (routes && this.sessions) {
      const found = new Map<string, string | undefined>();
      pins = new Array(count);
      for (let i = 0; i < count; i++) {
        const session = submissions[i].session;
        const route = routes[i];
        if (session === undefined || !route) continue;
        const key = `${session}\0${route.candidateIds.join(',')}`;
        if (!found.has(key)) found.set(key, await this.sessions.pinned(user, session, route.candidateIds));
        pins[i] = found.get(key);
      }
    }
    const batchId = asBatch ? (earlierBatchId(existing) ?? randomUUID()) : undefined;
    const taskIds: string[] = new Array(count);
    const answered: TaskRecord[] = [];
    const writes: Promise<unknown>[] = [];
    for (let start = 0; start < count; start += SUBMIT_CHUNK) {
      // The previous chunk's journal write and dispatch go out first (both wait for the next turn).
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const end = Math.min(count, start + SUBMIT_CHUNK);
      const records: TaskRecord[] = [];
      const madeIds = new Set<string>();
      const queuedByEndpoint = new Map<string, TaskRecord[]>();
      // A task id submitted before is answered with that task: it is neither looked up nor run again.
      const memoKeys = this.memo ? submissions.slice(start, end).map((submission, offset) => {
        if (existing?.has(start + offset)) return undefined;
        const fn = functionsByKey.get(functionKey(submission))!;
        return this.memo!.keyOf(user, fn, submission.container_image ?? fn.container_image, submission);
      }) : [];
      const memoHits = memoKeys.some((key) => key !== undefined) ? await this.memo!.lookup(user, memoKeys) : [];
      for (let i = start; i < end; i++) {
        const earlier = existing?.get(i);
        if (earlier) {
          taskIds[i] = earlier.task_id;
          continue;
        }
        const submission = submissions[i];
        const fn = functionsByKey.get(functionKey(submission))!;
        const image = submission.container_image ?? fn.container_image;
        const route = routes?.[i];
        let endpointId: string;
        let routing: TaskRouting | undefined;
        const pinned = pins?.[i];
        if (route && pinned !== undefined) {
          endpointId = pinned;
          routing = { ...this.targets.router.pinned(route, submission.policy), reason: `session ${submission.session} lives on this endpoint` };
        } else if (route) ({ endpointId, routing } = this.targets.router.route(route, image ?? '', submission.policy));
        else endpointId = endpointsByRef.get(submission.endpoint as string)!.endpoint_id;
        if (submission.session !== undefined) this.sessions?.sent(user, submission.session, endpointId);
        let taskId = submission.task_id;
        if (taskId === undefined) madeIds.add((taskId = randomUUID()));
        const task: TaskRecord = {
          task_id: taskId,
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
        if (submission.resource_specification !== undefined) task.resource_specification = submission.resource_specification;
        if (submission.session !== undefined) task.session = submission.session;
        records.push(task);
        taskIds[i] = task.task_id;
        const hit = memoHits[i - start];
        if (hit) {
          answered.push(cachedTask(task, hit, now()));
          continue;
        }
        if (memoKeys[i - start] !== undefined) task.cache_key = memoKeys[i - start];
        let queued = queuedByEndpoint.get(endpointId);
        if (!queued) queuedByEndpoint.set(endpointId, (queued = []));
        queued.push(task);
      }
      // Tasks with ids this hub made (which no earlier task can have) skip the queue on Redis: for an endpoint
      // connected here they go out beside their write, for one connected to another hub their write hands them
      // to that hub.
      const atOnce = new Set<string>();
      const handedOff = new Set<string>();
      for (const [endpointId, queued] of queuedByEndpoint) {
        if (!queued.every((task) => madeIds.has(task.task_id))) continue;
        if (this.dispatcher.sendsAtOnce(endpointId)) {
          atOnce.add(endpointId);
          for (const task of queued) task.attempts = 1;
        } else if (this.dispatcher.handsOff(endpointId)) handedOff.add(endpointId);
      }
      // Made now, as the records are written: a task sent at once may have moved on by the time Redis answers.
      const announced = submittedEvents(records);
      const put = this.store.putTasks(records, madeIds);
      writes.push(put);
      // A task's first event goes out once its record is written: a submission whose write failed announced
      // nothing, and the client is not woken while the write is on its way.
      put.then((refused) => this.announce(user, announced, refused), () => undefined);
      if (start === 0) {
        const submitted = batchId ? { batch_id: batchId } : { task_id: taskIds[0] };
        writes.push(this.store.appendAudit([submissionRecord(user, via, endpointsByRef, routed, functionsByKey, count, submitted)]));
      }
      for (const [endpointId, queued] of queuedByEndpoint) {
        if (atOnce.has(endpointId)) writes.push(this.dispatcher.sendAtOnce(endpointId, queued, put));
        else if (handedOff.has(endpointId)) writes.push(this.dispatcher.handOff(endpointId, queued));
        else {
          writes.push(this.store.enqueue(endpointId, queued.map((task) => task.task_id)));
          this.dispatcher.submitted(endpointId, queued);
        }
      }
    }
    this.metrics.tasksSubmitted(count - (existing?.size ?? 0));
    await Promise.all(writes);
    if (answered.length > 0) {
      // What the first run printed arrives as it would have, then the final event.
      for (const task of answered) for (const output of task.outputs) this.fanout.task(user, { type: 'output', task_id: task.task_id, output });
      this.events.finished(answered);
    }
    // The dispatch (scheduled before the events) is written before the acknowledgement.
    await this.fanout.sent();
    return { batch_id: batchId ?? '', task_ids: taskIds };
  }

  /** The submitted states of the tasks just written, except those the store refused. */
  private announce(user: string, events: TaskEvent[], refused: string[]): void {
    const skip = refused.length > 0 ? new Set(refused) : undefined;
    for (const event of events) if (!skip?.has(event.task_id)) this.fanout.task(user, event);
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
   * skipped, or a 409 when `strict` (a single REST cancel). Tasks of an endpoint connected to another hub are
   * cancelled by that hub, which alone ends that endpoint's tasks. Returns the ids cancelled.
   */
  async cancel(user: string, taskIds: string[], strict: boolean): Promise<string[]> {
    const tasks = await this.store.getTasks(taskIds);
    const here: TaskRecord[] = [];
    const elsewhere = new Map<string, TaskRecord[]>();
    const remote = this.dispatcher.remote;
    let open = 0;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i];
      if (!task) throw new FuncxError('FUNCX_TASK_NOT_FOUND', `No task with id ${taskIds[i]}`);
      assertOwnsTask(user, task);
      if (isFinalState(task.state)) {
        if (strict) throw new FuncxError('FUNCX_TASK_FINISHED', `Task ${task.task_id} has already finished (${task.state}); there is nothing to cancel`);
        continue;
      }
      open++;
      if (!remote || this.dispatcher.channelOf(task.endpoint_id)) {
        here.push(task);
        continue;
      }
      let ofEndpoint = elsewhere.get(task.endpoint_id);
      if (!ofEndpoint) elsewhere.set(task.endpoint_id, (ofEndpoint = []));
      ofEndpoint.push(task);
    }
    const cancelled: string[] = [];
    await Promise.all([...elsewhere].map(async ([endpointId, ofEndpoint]) => {
      const answer = await remote!.cancel(endpointId, user, ofEndpoint.map((task) => task.task_id));
      if (!answer) here.push(...ofEndpoint);
      else cancelled.push(...answer);
    }));
    cancelled.push(...(await this.cancelHere(here)));
    if (strict && cancelled.length < open) {
      throw new FuncxError('FUNCX_TASK_FINISHED', `Task ${taskIds[0]} finished while it was being cancelled; there is nothing to cancel`);
    }
    return cancelled;
  }

  /** For another hub: cancels the user's unfinished tasks among these, of an endpoint connected here. */
  async cancelForHub(user: string, taskIds: string[]): Promise<string[]> {
    const tasks = await this.store.getTasks(taskIds);
    return this.cancelHere(tasks.filter((task): task is TaskRecord => !!task && task.owner === user && !isFinalState(task.state)));
  }

  /** Cancels unfinished tasks, but those another path of this hub is ending already. */
  private async cancelHere(tasks: TaskRecord[]): Promise<string[]> {
    const claimed = this.ending.claim(tasks.map((task) => task.task_id));
    const at = now();
    const cancelled: TaskRecord[] = [];
    const byEndpoint = new Map<string, string[]>();
    const dispatched = new Map<string, string[]>();
    for (const task of tasks) {
      if (!claimed.has(task.task_id)) continue;
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
    const refused = await this.ending.settle(claimed, this.store.putTasks(cancelled));
    const accepted = withoutIds(cancelled, refused);
    this.events.finished(accepted);
    const writes: Promise<unknown>[] = [];
    for (const [endpointId, ids] of byEndpoint) {
      this.dispatcher.cancel(endpointId, dispatched.get(endpointId) ?? []);
      writes.push(this.store.release(endpointId, ids));
    }
    await Promise.all(writes);
    return accepted.map((task) => task.task_id);
  }
}

/** The submitted state of each task, except those answered from the memo; a routed one says why it went where it did. */
function submittedEvents(records: TaskRecord[]): TaskEvent[] {
  const events: TaskEvent[] = [];
  for (const task of records) {
    if (task.cached) continue;
    const event: TaskEvent = { type: 'state', task_id: task.task_id, endpoint_id: task.endpoint_id, state: task.state, timestamps: { ...task.timestamps } };
    if (task.routing) event.routing = task.routing;
    events.push(event);
  }
  return events;
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

/** Which function a submission runs: a registered function's id, or its inline source and entrypoint. */
function functionKey(submission: TaskSubmission): string {
  const hasSource = submission.source !== undefined;
  if (hasSource === (submission.function_id !== undefined)) {
    throw new FuncxError('FUNCX_BAD_REQUEST', 'Give either function_id (a registered function) or source (inline code), not both or neither');
  }
  return hasSource ? `${submission.entrypoint ?? ''}\0${submission.source}` : submission.function_id!;
}
