import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TaskCompletion } from '@funcx/protocol';
import { ResultsBuffer } from '../src/results-buffer.js';
import { ResultsFile } from '../src/results-file.js';

const completion = (task_id: string, value: number): TaskCompletion => ({
  task_id,
  state: 'success',
  timestamps: { running: 1, success: 2 },
  result: { value, data: { 'text/plain': String(value) } },
});

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);

describe('results kept on disk until the hub acknowledges them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'funcx-results-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const fail = (error: Error) => assert.fail(error);

  it('gives a restarted daemon the completions the hub never acknowledged', async () => {
    const file = join(dir, 'results.jsonl');
    const first = ResultsFile.open(file, () => [], fail);
    assert.deepEqual(first.kept, []);
    const buffer = new ResultsBuffer(first.file);
    buffer.add(completion('a', 1));
    buffer.add(completion('b', 2));
    buffer.add(completion('c', 3));
    buffer.acknowledged(['b', 'unknown']);
    await first.file.settled();
    // A crash: no close(); a torn line at the end as from a write cut short.
    appendFileSync(file, '{"d":{"task_id":"torn"');

    const second = ResultsFile.open(file, () => [], fail);
    assert.deepEqual(second.kept.map((kept) => kept.task_id), ['a', 'c']);
    assert.deepEqual(second.kept[1], completion('c', 3));
    const restored = new ResultsBuffer(second.file);
    restored.restore(second.kept);
    assert.deepEqual(restored.ids(), ['a', 'c']);
    assert.deepEqual(restored.takeUnsent().flat().map((sent) => sent.task_id), ['a', 'c'], 'sent again once connected');
    restored.acknowledged(['a', 'c']);
    second.file.close();
    const third = ResultsFile.open(file, () => [], fail);
    third.file.close();
    assert.deepEqual(third.kept, []);
    assert.equal(readFileSync(file, 'utf8'), '', 'a reopened file holds only what is pending');
  });

  it('writes nothing for a completion acknowledged before its line is due, and keeps one that completes again', async () => {
    const file = join(dir, 'quick.jsonl');
    const opened = ResultsFile.open(file, () => [], fail);
    const buffer = new ResultsBuffer(opened.file);
    buffer.add(completion('quick', 1));
    buffer.acknowledged(['quick']);
    buffer.add(completion('slow', 2));
    await opened.file.settled();
    assert.deepEqual(readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)), [
      { d: completion('slow', 2) },
    ]);
    buffer.acknowledged(['slow']);
    // The hub sent the task again and it completed a second time: that completion is pending again.
    buffer.add(completion('slow', 3));
    opened.file.close();
    const reopened = ResultsFile.open(file, () => [], fail);
    reopened.file.close();
    assert.deepEqual(reopened.kept, [completion('slow', 3)]);
  });

  it('writes a completion only once it has waited 5 ms unacknowledged, whatever else is due', async (t) => {
    const file = join(dir, 'due.jsonl');
    let clock = 0;
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const opened = ResultsFile.open(file, () => [], fail, () => clock);
    const buffer = new ResultsBuffer(opened.file);
    const advance = (ms: number) => {
      clock += ms;
      t.mock.timers.tick(ms);
    };
    buffer.add(completion('early', 1));
    advance(4);
    buffer.add(completion('late', 2));
    advance(1);
    // 'early' is due and being written; 'late', 1 ms old then, is acknowledged before it is due.
    advance(2);
    buffer.acknowledged(['late']);
    await opened.file.settled();
    advance(10);
    assert.deepEqual(lines(file), [{ d: completion('early', 1) }]);

    buffer.add(completion('unanswered', 3));
    advance(4);
    assert.deepEqual(lines(file), [{ d: completion('early', 1) }], 'not written after 4 ms');
    advance(1);
    await opened.file.settled();
    assert.deepEqual(lines(file), [{ d: completion('early', 1) }, { d: completion('unanswered', 3) }]);
    opened.file.close();
  });

  it('closed while a write is on its way, it reports no error and loses nothing', async () => {
    const file = join(dir, 'closing.jsonl');
    const errors: Error[] = [];
    const opened = ResultsFile.open(file, () => [], (error) => errors.push(error));
    const buffer = new ResultsBuffer(opened.file);
    for (let i = 0; i < 20; i++) {
      buffer.add(completion(`t${i}`, i));
      // Let the flush timer fire now and then, so that close() below can find a write in flight.
      if (i % 5 === 4) await new Promise((resolve) => setTimeout(resolve, 6));
    }
    opened.file.close();
    await opened.file.settled();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(errors, []);
    const reopened = ResultsFile.open(file, () => [], fail);
    reopened.file.close();
    assert.deepEqual(reopened.kept.map((kept) => kept.task_id).sort(), Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
  });
});
