import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskCompletion, TaskOutputUpdate, TaskStateUpdate } from '@funcx/protocol';
import { Outbox, STATE_REPORT_AFTER_MS, type OutboxSink } from '../src/outbox.js';
import type { HeldTask } from '../src/reporter.js';
import { ResultsBuffer } from '../src/results-buffer.js';

class Sink implements OutboxSink {
  ready = true;
  states: TaskStateUpdate[] = [];
  sendStates(updates: TaskStateUpdate[]): void {
    this.states.push(...updates);
  }
  sendOutputs(_updates: TaskOutputUpdate[]): void {}
  sendDone(completions: TaskCompletion[]): Promise<string[]> {
    return Promise.resolve(completions.map((completion) => completion.task_id));
  }
}

function held(taskId: string, state: HeldTask['state']): HeldTask {
  return {
    task: { task_id: taskId, function_id: 'f', owner: 'alice', args: [], kwargs: {} },
    state,
    timestamps: { [state]: Date.now() },
    since: performance.now(),
    done: false,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('task states reported by the endpoint', () => {
  it('reports a state once it lasts, once, and never the state of a task that finished or moved on quickly', async () => {
    const outbox = new Outbox(new ResultsBuffer());
    const sink = new Sink();
    outbox.sink = sink;
    const slow = held('slow', 'running');
    const quick = held('quick', 'running');
    const moved = held('moved', 'waiting-for-launch');
    for (const task of [slow, quick, moved]) outbox.stateChanged(task);
    quick.done = true;
    moved.state = 'running';
    moved.timestamps.running = Date.now();
    moved.since = performance.now();
    outbox.stateChanged(moved);
    await sleep(STATE_REPORT_AFTER_MS * 5);
    outbox.stop();
    assert.deepEqual(sink.states.map((update) => [update.task_id, update.state]).sort(), [
      ['moved', 'running'],
      ['slow', 'running'],
    ]);
    assert.deepEqual(sink.states.find((update) => update.task_id === 'moved')?.timestamps, moved.timestamps);
  });
});
