import type { HeldTask, TaskReporter } from './reporter.js';

/** How long after a task starts or ends its load is reported: tasks that start or end together share one report. */
export const LOAD_REPORT_AFTER_MS = 20;

/**
 * A reporter that passes everything on, and reports the endpoint's load (as a heartbeat does) soon after a
 * task starts running or ends: the hub then shows the change at once instead of at the next heartbeat.
 */
export class LoadReportingReporter implements TaskReporter {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly inner: TaskReporter,
    private readonly reportLoad: () => void,
  ) {}

  stateChanged(task: HeldTask): void {
    this.inner.stateChanged(task);
    if (task.state === 'running') this.schedule();
  }

  output(taskId: string, output: Parameters<TaskReporter['output']>[1]): void {
    this.inner.output(taskId, output);
  }

  done(completion: Parameters<TaskReporter['done']>[0]): void {
    this.inner.done(completion);
    this.schedule();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.reportLoad();
    }, LOAD_REPORT_AFTER_MS);
  }
}
