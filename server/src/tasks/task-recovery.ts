import { MAX_TASK_ATTEMPTS, isFinalState, type EndpointRecord, type TaskRecord } from '@funcx/protocol';
import type { HubMetrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { now } from './clock.js';
import type { EndingTasks } from './ending-tasks.js';
import { applyCompletion, hubError } from './records.js';
import { withoutIds, type TaskEvents } from './task-events.js';

/** Tasks an endpoint lost (a reconnect without them, a lease that ran out, the endpoint deleted): retried or failed. */
export class TaskRecovery {
  constructor(
    private readonly store: Store,
    private readonly events: TaskEvents,
    private readonly metrics: HubMetrics,
    private readonly ending: EndingTasks,
  ) {}

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
    const claimed = this.ending.claim(lost);
    const retry: TaskRecord[] = [];
    const failed: TaskRecord[] = [];
    const forget: string[] = [];
    const at = now();
    for (let i = 0; i < lost.length; i++) {
      const task = lostTasks[i];
      if (!task || isFinalState(task.state)) forget.push(lost[i]);
      else if (!claimed.has(task.task_id)) continue;
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
        // The next attempt's stream starts over, and says so when it starts.
        delete task.streams;
        retry.push(task);
        this.events.state(task);
      }
    }
    this.metrics.tasksRequeued(retry.length);
    const [refused] = await this.ending.settle(claimed, Promise.all([
      this.store.putTasks([...retry, ...failed]),
      this.store.requeue(endpointId, retry.map((task) => task.task_id)),
      this.store.release(endpointId, forget),
    ]));
    this.events.finished(withoutIds(failed, refused));
  }

  /** Fails every unfinished task of an endpoint that was deleted. */
  async failEndpointTasks(endpoint: EndpointRecord): Promise<void> {
    const ids = await this.store.dropQueue(endpoint.endpoint_id);
    const unfinished = (await this.store.getTasks(ids)).filter((task): task is TaskRecord => !!task && !isFinalState(task.state));
    const claimed = this.ending.claim(unfinished.map((task) => task.task_id));
    const tasks = unfinished.filter((task) => claimed.has(task.task_id));
    const at = now();
    for (const task of tasks) {
      applyCompletion(task, {
        task_id: task.task_id,
        state: 'failed',
        timestamps: {},
        error: hubError('EndpointDeleted', `Endpoint "${endpoint.name}" was deleted before this task finished`),
      }, at);
    }
    const refused = await this.ending.settle(claimed, this.store.putTasks(tasks));
    this.events.finished(withoutIds(tasks, refused));
  }

}
