import type { TaskReporter } from './reporter.js';

/** How long after a change its load is reported: changes close together (tasks that end together) share one report. */
export const LOAD_REPORT_AFTER_MS = 20;

/**
 * Reports a load (as a heartbeat does) soon after something changed it, once for changes close together: the
 * hub then shows a task that started or ended at once instead of at the next heartbeat.
 */
export class LoadReports {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly report: () => void) {}

  soon(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, LOAD_REPORT_AFTER_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A reporter that passes everything on to `inner`, with a load report soon after a task starts running or ends. */
export function withLoadReports(inner: TaskReporter, reports: LoadReports): TaskReporter {
  return {
    stateChanged(task) {
      inner.stateChanged(task);
      if (task.state === 'running') reports.soon();
    },
    output: (taskId, output) => inner.output(taskId, output),
    done(completion) {
      inner.done(completion);
      reports.soon();
    },
  };
}
