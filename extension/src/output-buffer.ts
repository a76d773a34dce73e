import type { TaskOutput } from '@funcx/protocol';

/**
 * Collects a task's outputs as they are delivered and hands them on once per delivery (a microtask later),
 * with consecutive stream chunks of one name merged: a loop that prints thousands of lines arrives in a few
 * `task:events` batches, and each batch then costs the cell one output change instead of one per line.
 */
export class OutputBuffer {
  private pending: TaskOutput[] = [];
  private scheduled = false;

  constructor(
    private readonly write: (output: TaskOutput) => void,
    // A plain call: browsers refuse queueMicrotask called as a method of another object.
    private readonly schedule: (flush: () => void) => void = flush => queueMicrotask(flush)
  ) {}

  push(output: TaskOutput): void {
    const last = this.pending[this.pending.length - 1];
    if (last?.output_type === 'stream' && output.output_type === 'stream' && last.name === output.name) {
      this.pending[this.pending.length - 1] = { ...last, text: last.text + output.text };
    } else {
      this.pending.push(output);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
  }

  /** Writes what is pending now (before the task's result, so it lands after its outputs). */
  flush(): void {
    this.scheduled = false;
    const outputs = this.pending;
    this.pending = [];
    for (const output of outputs) this.write(output);
  }
}
