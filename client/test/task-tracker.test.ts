import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaskEvent, TaskOutput, TaskRecord } from '@funcx/protocol';
import { TaskTracker } from '../src/task-tracker.js';

const stream = (text: string): TaskOutput => ({ output_type: 'stream', name: 'stdout', text });

function record(overrides: Partial<TaskRecord>): TaskRecord {
  return {
    task_id: 't1',
    function_id: 'f',
    endpoint_id: 'e',
    owner: 'u',
    args: [],
    kwargs: {},
    state: 'running',
    timestamps: { received: 1, running: 2 },
    attempts: 1,
    outputs: [],
    ...overrides,
  };
}

function collector() {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      onState: (e: { state: string }) => seen.push(`state:${e.state}`),
      onOutput: (o: TaskOutput) => seen.push(`out:${o.output_type === 'stream' ? o.text : 'display'}`),
      onFinal: (e: { state: string }) => seen.push(`final:${e.state}`),
    },
  };
}

const noSubscribe = async (): Promise<TaskRecord[]> => {
  throw new Error('a task submitted on this connection needs no subscription');
};

test('a watcher attached after submitting sees the events that arrived before it, then live ones', () => {
  const tracker = new TaskTracker();
  tracker.ingest([{ type: 'state', task_id: 't1', state: 'received', timestamps: { received: 1 } }]);
  tracker.expect(['t1'], 1);
  tracker.ingest([{ type: 'output', task_id: 't1', output: stream('a\n') }]);
  const { seen, handlers } = collector();
  tracker.watch('t1', handlers, 1, noSubscribe);
  tracker.ingest([
    { type: 'output', task_id: 't1', output: stream('b\n') },
    { type: 'final', task_id: 't1', state: 'success', timestamps: { success: 3 } },
  ]);
  assert.deepEqual(seen, ['state:received', 'out:a\n', 'out:b\n', 'final:success']);
});

test('a task from elsewhere is replayed from its record, without events that the record already holds', async () => {
  const tracker = new TaskTracker();
  const { seen, handlers } = collector();
  let answer!: (records: TaskRecord[]) => void;
  tracker.watch('t1', handlers, 1, () => new Promise((resolve) => (answer = resolve)));
  // Arrives before the subscription's answer: already part of the record.
  tracker.ingest([{ type: 'output', task_id: 't1', output: stream('a\n') }]);
  answer([record({ outputs: [stream('a\n')] })]);
  await new Promise((resolve) => setImmediate(resolve));
  tracker.ingest([{ type: 'final', task_id: 't1', state: 'failed', timestamps: { failed: 3 } }] as TaskEvent[]);
  assert.deepEqual(seen, ['state:running', 'out:a\n', 'final:failed']);
});

test('after a reconnect a watcher gets only the output it missed', async () => {
  const tracker = new TaskTracker();
  tracker.expect(['t1'], 1);
  const { seen, handlers } = collector();
  tracker.watch('t1', handlers, 1, noSubscribe);
  tracker.ingest([{ type: 'output', task_id: 't1', output: stream('hel') }]);
  tracker.resync(2, async () => [
    record({ state: 'success', timestamps: { success: 5 }, outputs: [stream('hello\n')], result: { value: 1, data: {} } }),
  ]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seen, ['out:hel', 'out:lo\n', 'final:success']);
});

test('a watch that cannot subscribe reports the error', async () => {
  const tracker = new TaskTracker();
  const errors: string[] = [];
  tracker.watch('t9', { onError: (e) => errors.push(e.message) }, 1, async () => {
    throw new Error('No such task');
  });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(errors, ['No such task']);
});
