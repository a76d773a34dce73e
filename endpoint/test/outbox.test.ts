import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { TaskCompletion, TaskOutputUpdate, TaskStateUpdate } from '@funcx/protocol';
import { DONE_RETRY_MS, Outbox, STATE_REPORT_AFTER_MS, WAITING_REPORT_AFTER_MS, type OutboxSink } from '../src/outbox.js';
import type { HeldTask } from '../src/reporter.js';
import { ResultsBuffer } from '../src/results-buffer.js';

class Sink implements OutboxSink {
  ready = true;
  states: TaskStateUpdate[] = [];
  outputs: TaskOutputUpdate[] = [];
  done: TaskCompletion[][] = [];
  /** When set, the hub answers tasks:done with an error this many times. */
  failures = 0;
  sendStates(updates: TaskStateUpdate[]): void {
    this.states.push(...updates);
  }
  sendOutputs(updates: TaskOutputUpdate[]): void {
    this.outputs.push(...updates);
  }
  sendDone(completions: TaskCompletion[]): Promise<string[]> {
    this.done.push(completions);
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('the hub did not record them'));
    }
    return Promise.resolve(completions.map((completion) => completion.task_id));
  }
}

/** The outbox on a clock the test moves: timers and `since` both follow mock time. */
function setUp() {
  let now = 0;
  const results = new ResultsBuffer();
  const outbox = new Outbox(results, () => now);
  const sink = new Sink();
  outbox.sink = sink;
  const advance = (ms: number) => {
    now += ms;
    mock.timers.tick(ms);
  };
  const held = (taskId: string, state: HeldTask['state']): HeldTask => ({
    task: { task_id: taskId, function_id: 'f', owner: 'alice', args: [], kwargs: {} },
    state,
    timestamps: { [state]: 1_000 + now },
    since: now,
    done: false,
  });
  return { outbox, sink, results, advance, held, at: () => now };
}

describe('what the endpoint reports to the hub, and when', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] }));
  afterEach(() => mock.timers.reset());

  it('reports a running state once it has lasted 20 ms, once, and never that of a task that finished before', () => {
    const { outbox, sink, advance, held } = setUp();
    const slow = held('slow', 'running');
    const quick = held('quick', 'running');
    outbox.stateChanged(slow);
    outbox.stateChanged(quick);
    advance(STATE_REPORT_AFTER_MS - 1);
    quick.done = true;
    assert.equal(sink.states.length, 0, 'nothing before it has lasted');
    advance(1);
    assert.deepEqual(sink.states.map((update) => update.task_id), ['slow']);
    advance(STATE_REPORT_AFTER_MS * 10);
    assert.equal(sink.states.length, 1, 'once');
    outbox.stop();
  });

  it('reports a waiting state only after a second, so a batch that drains quickly costs no state messages', () => {
    const { outbox, sink, advance, held } = setUp();
    const waiting = held('queued', 'waiting-for-nodes');
    const moved = held('moved', 'waiting-for-nodes');
    outbox.stateChanged(waiting);
    outbox.stateChanged(moved);
    advance(WAITING_REPORT_AFTER_MS / 2);
    moved.done = true;
    advance(WAITING_REPORT_AFTER_MS / 2 - 1);
    assert.equal(sink.states.length, 0);
    advance(STATE_REPORT_AFTER_MS);
    assert.deepEqual(sink.states.map((update) => [update.task_id, update.state]), [['queued', 'waiting-for-nodes']]);
    outbox.stop();
  });

  it('a task that moved on is reported in its new state, with every timestamp', () => {
    const { outbox, sink, advance, held, at } = setUp();
    const moved = held('moved', 'waiting-for-launch');
    outbox.stateChanged(moved);
    advance(5);
    moved.state = 'running';
    moved.timestamps.running = 1_000 + at();
    moved.since = at();
    outbox.stateChanged(moved);
    advance(STATE_REPORT_AFTER_MS * 2);
    assert.deepEqual(sink.states.map((update) => [update.task_id, update.state]), [['moved', 'running']]);
    assert.deepEqual(sink.states[0].timestamps, { 'waiting-for-launch': 1_000, running: 1_005 });
    outbox.stop();
  });

  it('sends outputs and completions together once per turn, and nothing while disconnected', () => {
    const { outbox, sink, advance } = setUp();
    sink.ready = false;
    outbox.output('t', { output_type: 'stream', name: 'stdout', text: 'a' });
    outbox.done({ task_id: 't', state: 'success', timestamps: {} });
    advance(0);
    assert.equal(sink.outputs.length + sink.done.length, 0);
    sink.ready = true;
    outbox.flush();
    assert.deepEqual(sink.outputs.map((update) => update.task_id), ['t']);
    assert.deepEqual(sink.done.map((batch) => batch.map((completion) => completion.task_id)), [['t']]);
    outbox.stop();
  });

  it('sends a completion again a second after the hub failed to record it, and stops once it has', async () => {
    const { outbox, sink, advance, results } = setUp();
    sink.failures = 1;
    outbox.done({ task_id: 't', state: 'success', timestamps: {} });
    advance(0);
    assert.equal(sink.done.length, 1);
    await Promise.resolve();
    await Promise.resolve();
    advance(DONE_RETRY_MS - 1);
    assert.equal(sink.done.length, 1, 'not before the retry delay');
    advance(1);
    assert.equal(sink.done.length, 2);
    await Promise.resolve();
    assert.equal(results.size, 0, 'recorded, so forgotten');
    advance(DONE_RETRY_MS * 5);
    assert.equal(sink.done.length, 2);
    outbox.stop();
  });
});
