import { createHash } from 'node:crypto';
import { Ajv } from 'ajv';
import { FuncxError, type ActionStatus, type JsonObject, type TaskEvent, type TaskRecord, type TaskSubmission } from '@funcx/protocol';
import type { ClientChannel } from '../../events/client-channel.js';
import type { EventFanout } from '../../events/fanout.js';
import type { LocalInterest } from '../../events/local-interest.js';
import { describeValidationErrors, taskSubmission } from '../../schemas.js';
import type { Store } from '../../store/store.js';
import type { TaskService } from '../../tasks/service.js';
import { FLOW_ERRORS, FlowFailure } from '../language/flow-errors.js';
import type { ActionContext, ActionProvider } from './provider.js';

/** Most characters of a task's stdout carried in its action's details. */
const MAX_STDOUT_CHARS = 64 * 1024;

const { task_group: _group, task_id: _taskId, ...submissionFields } = taskSubmission.properties;
const checkSubmission = new Ajv({ allErrors: false, strict: false }).compile({ ...taskSubmission, properties: submissionFields });

/** The task group of an action's task: its request id, or a hash of one too long to be a task group. */
export function taskGroupOf(requestId: string): string {
  const group = `flow:${requestId}`;
  return group.length <= 128 ? group : `flow:${createHash('sha256').update(requestId).digest('hex')}`;
}

/**
 * The hub's own action: runs a function on an endpoint as a funcX task submitted through the TaskService as the
 * run's owner, never with more rights. Its Parameters are a task submission (function_id or source and
 * entrypoint, endpoint, args, kwargs, timeout_s, container_image, whatever the hub's submission accepts). The
 * task's group is the action's request id, so after a crash the task is found again instead of submitted twice.
 * A task's final event wakes the action's poll at once.
 */
export class FuncxAction implements ActionProvider {
  private readonly watchers = new Map<string, Set<() => void>>();

  constructor(
    private readonly store: Store,
    private readonly tasks: TaskService,
    fanout: EventFanout,
    private readonly interest: LocalInterest,
  ) {
    fanout.attach(this.finalEvents());
  }

  async run(context: ActionContext, body: JsonObject): Promise<ActionStatus> {
    if (!checkSubmission(body)) {
      throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, `the funcx action's ${describeValidationErrors(checkSubmission.errors, 'Parameters')}`);
    }
    const group = taskGroupOf(context.requestId);
    // Only a resumed step looks: finding no task scans the owner's tasks.
    if (context.mayExist) {
      const [existing] = await this.store.listTasks(context.owner, { taskGroup: group, limit: 1 });
      if (existing) return statusOf(existing);
    }
    let taskId: string;
    try {
      [taskId] = (await this.tasks.submit(context.owner, [{ ...(body as unknown as TaskSubmission), task_group: group }], false, 'flow')).task_ids;
    } catch (error) {
      if (error instanceof FuncxError) throw new FlowFailure(FLOW_ERRORS.actionUnableToRun, error.message, { code: error.code });
      throw error;
    }
    return this.status(context, taskId);
  }

  async status(context: ActionContext, actionId: string): Promise<ActionStatus> {
    const [task] = await this.store.getTasks([actionId]);
    if (!task || task.owner !== context.owner) {
      throw new FlowFailure(FLOW_ERRORS.actionFailed, `task ${actionId} is gone from the hub (finished longer ago than the hub keeps results)`);
    }
    return statusOf(task);
  }

  async cancel(context: ActionContext, actionId: string): Promise<void> {
    await this.tasks.cancel(context.owner, [actionId], false);
  }

  async release(): Promise<void> {
    // Tasks are kept for the hub's result retention whatever their actions do.
  }

  watch(context: ActionContext, actionId: string, onChange: () => void): () => void {
    let set = this.watchers.get(actionId);
    if (!set) this.watchers.set(actionId, (set = new Set()));
    set.add(onChange);
    // The task's final event from the hub of its endpoint reaches this hub too.
    this.interest.acquire(context.owner);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      set.delete(onChange);
      if (set.size === 0) this.watchers.delete(actionId);
      this.interest.release(context.owner);
    };
  }

  /** A channel of the fanout that only looks for final events of watched tasks. */
  private finalEvents(): ClientChannel {
    const ignore = () => undefined;
    return {
      toAll: ignore,
      toAllBut: ignore,
      toUsers: (_users, event, ...args) => {
        if (event !== 'task:events' || this.watchers.size === 0) return;
        for (const taskEvent of args[0] as TaskEvent[]) {
          if (taskEvent.type === 'final') for (const wake of this.watchers.get(taskEvent.task_id) ?? []) wake();
        }
      },
    };
  }
}

/** A task as an action status: details carry its id, state, result value (or text), stdout and error. */
export function statusOf(task: TaskRecord): ActionStatus {
  const details: JsonObject = { task_id: task.task_id, endpoint_id: task.endpoint_id, function_id: task.function_id, state: task.state };
  const status: ActionStatus = { action_id: task.task_id, status: 'ACTIVE', display_status: task.state, details, creator_id: task.owner };
  const received = task.timestamps.received;
  if (received !== undefined) status.start_time = new Date(received).toISOString();
  const stdout = task.outputs
    .filter((output) => output.output_type === 'stream' && output.name === 'stdout')
    .map((output) => (output as { text: string }).text)
    .join('');
  if (stdout) details.stdout = stdout.length > MAX_STDOUT_CHARS ? stdout.slice(-MAX_STDOUT_CHARS) : stdout;
  if (task.state === 'success') {
    status.status = 'SUCCEEDED';
    details.result = task.result?.value !== undefined ? task.result.value : (task.result?.data['text/plain'] ?? null);
  } else if (task.state === 'failed' || task.state === 'cancelled') {
    status.status = 'FAILED';
    if (task.error) details.error = { ename: task.error.ename, evalue: task.error.evalue, traceback: task.error.traceback };
  }
  const final = task.timestamps[task.state as 'success' | 'failed' | 'cancelled'];
  if (status.status !== 'ACTIVE' && final !== undefined) status.completion_time = new Date(final).toISOString();
  return status;
}
