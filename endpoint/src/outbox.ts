import type { TaskCompletion, TaskOutput, TaskOutputUpdate, TaskStateUpdate } from '@funcx/protocol';
import type { HeldTask, TaskReporter } from './reporter.js';
import type { ResultsBuffer } from './results-buffer.js';

/** The hub side of the outbox (the connection). */
export interface OutboxSink {
  /** Connected and greeted: messages may go out. */
  readonly ready: boolean;
  sendStates(updates: TaskStateUpdate[]): void;
  sendOutputs(updates: TaskOutputUpdate[]): void;
  /** Resolves with the ids the hub recorded; rejects when no ack came. */
  sendDone(completions: TaskCompletion[]): Promise<string[]>;
}

/**
 * A state is reported only once a task has stayed in it a while, so a quick task sends nothing but its
 * completion (which carries every timestamp): `running` after 20 ms, a waiting state after 1 s (a large batch
 * that drains quickly then costs the hub no per-task state messages).
 */
export const STATE_REPORT_AFTER_MS = 20;
export const WAITING_REPORT_AFTER_MS = 1_000;
/** Completions the hub failed to record (it answered with an error) are sent again after this long. */
export const DONE_RETRY_MS = 1_000;

/**
 * Batches what managers report towards the hub: outputs and completions once per turn of the event loop,
 * states on a short timer. Nothing leaves while the connection is down; it goes out after the next hello.
 */
export class Outbox implements TaskReporter {
  sink?: OutboxSink;
  private readonly states = new Set<HeldTask>();
  private outputs: TaskOutputUpdate[] = [];
  private flushQueued = false;
  private stateTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;

  constructor(
    private readonly results: ResultsBuffer,
    /** The clock `HeldTask.since` is read on (tests drive their own). */
    private readonly clock: () => number = () => performance.now(),
  ) {}

  stateChanged(task: HeldTask): void {
    this.states.add(task);
    this.stateTimer ??= setTimeout(() => this.flushStates(), STATE_REPORT_AFTER_MS);
  }

  output(taskId: string, output: TaskOutput): void {
    this.outputs.push({ task_id: taskId, output });
    this.queueFlush();
  }

  done(completion: TaskCompletion): void {
    this.results.add(completion);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Sends waiting outputs and completions now (if connected). */
  flush(): void {
    const sink = this.sink;
    if (!sink?.ready) return;
    if (this.outputs.length > 0) {
      const outputs = this.outputs;
      this.outputs = [];
      sink.sendOutputs(outputs);
    }
    for (const chunk of this.results.takeUnsent()) {
      sink.sendDone(chunk).then(
        (recorded) => this.results.acknowledged(recorded),
        () => {
          this.results.retry(chunk);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.flush();
          }, DONE_RETRY_MS);
        },
      );
    }
  }

  private flushStates(): void {
    this.stateTimer = undefined;
    const sink = this.sink;
    if (!sink?.ready) {
      if (this.states.size > 0) this.stateTimer = setTimeout(() => this.flushStates(), STATE_REPORT_AFTER_MS);
      return;
    }
    const now = this.clock();
    const updates: TaskStateUpdate[] = [];
    for (const task of this.states) {
      if (task.done) {
        this.states.delete(task);
      } else if (now - task.since >= (task.state === 'running' ? STATE_REPORT_AFTER_MS : WAITING_REPORT_AFTER_MS)) {
        const update: TaskStateUpdate = { task_id: task.task.task_id, state: task.state, timestamps: { ...task.timestamps } };
        if (task.streams) update.streams = true;
        updates.push(update);
        this.states.delete(task);
      }
    }
    // Outputs first: a state never overtakes output already produced.
    this.flush();
    if (updates.length > 0) sink.sendStates(updates);
    if (this.states.size > 0) this.stateTimer = setTimeout(() => this.flushStates(), STATE_REPORT_AFTER_MS);
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    clearTimeout(this.stateTimer);
    this.stateTimer = undefined;
  }
}
