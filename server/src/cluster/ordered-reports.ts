import type { TaskCompletion, TaskOutputUpdate, TaskStateUpdate } from '@funcx/protocol';

export interface ReportHandlers {
  states(updates: TaskStateUpdate[]): Promise<void>;
  outputs(updates: TaskOutputUpdate[]): Promise<void>;
  done(completions: TaskCompletion[]): Promise<string[]>;
}

type Report =
  | { kind: 'states'; items: TaskStateUpdate[] }
  | { kind: 'outputs'; items: TaskOutputUpdate[] }
  | { kind: 'done'; items: TaskCompletion[]; resolve: (ids: string[]) => void; reject: (error: unknown) => void };

/**
 * One endpoint's reports, applied one after another in the order it sent them: with a shared store (Redis) each
 * report reads and writes copies of task records, so an output applied beside the result could be lost. While
 * one report is being applied the next ones wait; reports of one kind that waited side by side are then applied
 * together, in one read and one write of the store, so a busy endpoint costs a few round trips, not one per
 * message.
 */
export class OrderedReports {
  private readonly queue: Report[] = [];
  private running = false;

  constructor(
    private readonly handlers: ReportHandlers,
    private readonly onError: (error: unknown) => void,
  ) {}

  states(items: TaskStateUpdate[]): void {
    this.push({ kind: 'states', items });
  }

  outputs(items: TaskOutputUpdate[]): void {
    this.push({ kind: 'outputs', items });
  }

  /** Resolves with the ids of these completions once they are recorded (or known to be duplicates). */
  done(items: TaskCompletion[]): Promise<string[]> {
    return new Promise((resolve, reject) => this.push({ kind: 'done', items, resolve, reject }));
  }

  private push(report: Report): void {
    this.queue.push(report);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0) {
      let count = 1;
      while (count < this.queue.length && this.queue[count].kind === this.queue[0].kind) count++;
      const group = this.queue.splice(0, count);
      await this.apply(group);
    }
    this.running = false;
  }

  private async apply(group: Report[]): Promise<void> {
    const kind = group[0].kind;
    try {
      if (kind === 'states') await this.handlers.states(group.flatMap((report) => report.items as TaskStateUpdate[]));
      else if (kind === 'outputs') await this.handlers.outputs(group.flatMap((report) => report.items as TaskOutputUpdate[]));
      else {
        await this.handlers.done(group.flatMap((report) => report.items as TaskCompletion[]));
        for (const report of group) if (report.kind === 'done') report.resolve(report.items.map((completion) => completion.task_id));
      }
    } catch (error) {
      if (kind !== 'done') this.onError(error);
      for (const report of group) if (report.kind === 'done') report.reject(error);
    }
  }
}
