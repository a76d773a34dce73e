import type { TaskCompletion, TaskOutput } from '@funcx/protocol';
import type { HeldTask, TaskReporter } from '../../src/reporter.js';

/** A TaskReporter that keeps everything a manager reports and lets a test wait for a task's end. */
export class Recorder implements TaskReporter {
  readonly states: { task_id: string; state: string }[] = [];
  readonly outputs = new Map<string, { at: number; output: TaskOutput }[]>();
  readonly completions = new Map<string, TaskCompletion & { at: number }>();
  private readonly waiters = new Map<string, (completion: TaskCompletion & { at: number }) => void>();

  stateChanged(task: HeldTask): void {
    this.states.push({ task_id: task.task.task_id, state: task.state });
  }

  output(taskId: string, output: TaskOutput): void {
    const list = this.outputs.get(taskId) ?? [];
    list.push({ at: performance.now(), output });
    this.outputs.set(taskId, list);
  }

  done(completion: TaskCompletion): void {
    const recorded = { ...completion, at: performance.now() };
    this.completions.set(completion.task_id, recorded);
    this.waiters.get(completion.task_id)?.(recorded);
  }

  /** Resolves with the task's completion; rejects after `timeoutMs`. */
  wait(taskId: string, timeoutMs = 20_000): Promise<TaskCompletion & { at: number }> {
    const known = this.completions.get(taskId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`task ${taskId} did not finish in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(taskId, (completion) => {
        clearTimeout(timer);
        resolve(completion);
      });
    });
  }

  /** Text of every stream output of a task, joined. */
  streamText(taskId: string, name = 'stdout'): string {
    return (this.outputs.get(taskId) ?? [])
      .map(({ output }) => (output.output_type === 'stream' && output.name === name ? output.text : ''))
      .join('');
  }
}
