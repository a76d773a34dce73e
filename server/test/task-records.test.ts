import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendOutput, applyCompletion, movesForward, resultSize } from '../src/tasks/records.js';
import { TaskQueue } from '../src/store/queue.js';
import { MemoryState } from '../src/store/memory-state.js';
import { runningTask } from './support/records.js';

const task = () => runningTask({ task_id: 't' });

describe('task records', () => {
  it('merges consecutive chunks of one stream and keeps other outputs apart', () => {
    const record = task();
    let bytes = appendOutput(record, { output_type: 'stream', name: 'stdout', text: 'a' }, 0).storedBytes;
    bytes = appendOutput(record, { output_type: 'stream', name: 'stdout', text: 'b\n' }, bytes).storedBytes;
    bytes = appendOutput(record, { output_type: 'stream', name: 'stderr', text: 'oops' }, bytes).storedBytes;
    bytes = appendOutput(record, { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} }, bytes).storedBytes;
    appendOutput(record, { output_type: 'stream', name: 'stdout', text: 'c' }, bytes);
    assert.deepEqual(record.outputs.map((output) => (output.output_type === 'stream' ? output.text : 'display')), ['ab\n', 'oops', 'display', 'c']);
  });

  it('drops output past the limit with one note instead of failing, and then changes nothing', () => {
    const record = task();
    let bytes = 0;
    const changed: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const appended = appendOutput(record, { output_type: 'stream', name: 'stdout', text: 'x'.repeat(40) }, bytes, 100);
      bytes = appended.storedBytes;
      changed.push(appended.changed);
    }
    assert.equal(bytes, 80);
    assert.deepEqual(changed, [true, true, true, false, false]);
    const notes = record.outputs.filter((output) => output.output_type === 'stream' && output.text.includes('further output was dropped'));
    assert.equal(notes.length, 1);
  });

  it('fails a task whose result is over the limit, saying so', () => {
    const record = task();
    applyCompletion(record, { task_id: 't', state: 'success', timestamps: {}, result: { data: { 'text/plain': 'y'.repeat(500) } } }, 10, 100);
    assert.equal(record.state, 'failed');
    assert.equal(record.result, undefined);
    assert.equal(record.error?.ename, 'ResultTooLarge');
    assert.equal(record.timestamps.failed, 10);
  });

  it('trims outputs so that outputs and result fit together', () => {
    const record = task();
    appendOutput(record, { output_type: 'stream', name: 'stdout', text: 'z'.repeat(90) }, 0, 1000);
    applyCompletion(record, { task_id: 't', state: 'success', timestamps: { success: 5 }, result: { value: 1, data: { 'text/plain': '1' } } }, 10, 100);
    assert.equal(record.state, 'success');
    assert.equal(record.timestamps.success, 5);
    const text = record.outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
    assert.ok(text.includes('further output was dropped'));
    assert.ok(text.startsWith('zzz'));
  });

  it('moves only forward through the states', () => {
    assert.equal(movesForward('waiting-for-endpoint', 'running'), true);
    assert.equal(movesForward('running', 'waiting-for-nodes'), false);
  });
});

describe('task queue', () => {
  it('takes from the front, puts requeued ids first and skips removed ones', () => {
    const queue = new TaskQueue();
    queue.pushBack(['a', 'b', 'c', 'd']);
    assert.deepEqual(queue.take(2), ['a', 'b']);
    queue.pushFront(['a', 'b']);
    queue.remove('c');
    assert.equal(queue.length, 3);
    assert.deepEqual(queue.ids(), ['a', 'b', 'd']);
    assert.deepEqual(queue.take(10), ['a', 'b', 'd']);
    assert.equal(queue.length, 0);
  });
});

describe('embedded store state', () => {
  it('forgets the oldest finished tasks beyond the limit and keeps every unfinished one', () => {
    const state = new MemoryState();
    const states = ['success', 'running', 'failed', 'cancelled', 'waiting-for-endpoint'] as const;
    states.forEach((taskState, i) => state.tasks.set(`t${i}`, { ...task(), task_id: `t${i}`, state: taskState }));
    assert.equal(state.forgetOldFinished(1), 2);
    assert.deepEqual([...state.tasks.keys()], ['t1', 't3', 't4']);
  });
});

describe('result sizes', () => {
  it('a 9 MiB string result is counted once, and fits under the 10 MiB limit', () => {
    const text = 'x'.repeat(9 * 1024 * 1024);
    const record = runningTask({ task_id: 't' });
    applyCompletion(record, { task_id: 't', state: 'success', timestamps: {}, result: { value: text, data: { 'text/plain': `'${text}'` } } }, 10);
    assert.equal(record.state, 'success');
    assert.ok(resultSize(record.result!) < text.length + 100, 'counted once, not twice');
  });

  it('a result over the limit says its size and the limit in MiB', () => {
    const record = runningTask({ task_id: 't' });
    applyCompletion(record, { task_id: 't', state: 'success', timestamps: {}, result: { value: 'y'.repeat(12 * 1024 * 1024), data: { 'text/plain': 'y…' } } }, 10);
    assert.equal(record.error?.ename, 'ResultTooLarge');
    assert.match(record.error!.evalue, /The result is 12 MiB, over the hub's limit of 10 MiB/);
  });
});
