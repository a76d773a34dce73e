import { isFinalState, type TaskState } from '@funcx/protocol';
import { Signal, type ISignal } from '@lumino/signaling';

import type { TasksModel } from '../models/tasks-model';
import type { TaskActivity } from './source';

type Phase = 'waiting' | 'started' | 'finished';

/**
 * Task starts and ends per endpoint, for the map's pulses. Read from the tasks model's contents rather
 * than its state transitions: a task's first events can arrive before its submitter learns its id, so
 * its endpoint may become known only after it already ran (a fast task goes from received to success
 * in one batch). Each task pulses once when it is seen running and once when it is seen finished.
 */
export class TaskActivityWatcher {
  private readonly phases = new Map<string, Phase>();
  private readonly _activity = new Signal<this, TaskActivity>(this);

  constructor(private readonly tasks: TasksModel) {
    for (const task of tasks.tasks) {
      this.phases.set(task.task_id, phaseOf(task.state));
    }
    tasks.changed.connect(this.check, this);
  }

  get activity(): ISignal<this, TaskActivity> {
    return this._activity;
  }

  private check(): void {
    const present = new Set<string>();
    for (const task of this.tasks.tasks) {
      present.add(task.task_id);
      if (!task.endpoint_id) {
        continue;
      }
      const phase = phaseOf(task.state);
      const before = this.phases.get(task.task_id) ?? 'waiting';
      if (phase !== before) {
        this.phases.set(task.task_id, phase);
        if (phase !== 'waiting') {
          this._activity.emit({ endpoint_id: task.endpoint_id, kind: phase });
        }
      }
    }
    for (const taskId of this.phases.keys()) {
      if (!present.has(taskId)) {
        this.phases.delete(taskId);
      }
    }
  }
}

function phaseOf(state: TaskState): Phase {
  if (isFinalState(state)) {
    return 'finished';
  }
  return state === 'running' ? 'started' : 'waiting';
}
