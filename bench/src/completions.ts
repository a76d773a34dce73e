import type { HeldTask, TaskReporter } from '@funcx/endpoint';
import type { TaskCompletion } from '@funcx/protocol';

/** A TaskReporter that resolves each task's completion. */
export class Completions implements TaskReporter {
  private readonly waiting = new Map<string, (completion: TaskCompletion) => void>();
  stateChanged(_task: HeldTask): void {}
  output(): void {}
  done(completion: TaskCompletion): void {
    this.waiting.get(completion.task_id)?.(completion);
    this.waiting.delete(completion.task_id);
  }
  wait(taskId: string): Promise<TaskCompletion> {
    return new Promise((resolve) => this.waiting.set(taskId, resolve));
  }
}
