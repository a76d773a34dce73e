import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JsonValue } from '@funcx/protocol';
import type { Manager } from '../src/manager.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

const PID = 'import os\nos.getpid()';
const ODD = [
  'class Odd:',
  '    def __init__(self, rich):',
  '        self.rich = rich',
  '    def _repr_json_(self):',
  '        return self.rich',
  '    def __repr__(self):',
  '        return "<Odd>"',
].join('\n');

function nested(depth: number): JsonValue {
  let value: JsonValue = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

describe('what a worker sends back is always something', () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager({ size: 1 }));
  });
  after(() => manager.stop());

  test('arguments nested 1,000 deep fail their task with a clear error, and the worker serves on', async () => {
    const pid = (await runToEnd(manager, recorder, PID)).result?.value;
    const done = await runToEnd(manager, recorder, 'def f(x):\n    return "unpacked"\n', { entrypoint: 'f', args: [nested(1000)] });
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'RecursionError');
    assert.match(done.error!.evalue, /the task's arguments nest too deeply for the worker to decode them/);
    assert.equal((await runToEnd(manager, recorder, PID)).result?.value, pid, 'the same worker');
  });

  test('a result whose _repr_json_ is a set, or an object, comes back with its text repr', async () => {
    for (const rich of ['{1, 2}', 'object()']) {
      const done = await runToEnd(manager, recorder, `${ODD}\nOdd(${rich})`);
      assert.equal(done.state, 'success', JSON.stringify(done.error));
      assert.deepEqual(done.result?.data, { 'text/plain': '<Odd>' });
    }
  });

  test('display() of an object whose _repr_json_ is a set shows its text repr', async () => {
    const id = run(manager, `${ODD}\ndisplay(Odd({1, 2}))\n"shown"`);
    const done = await recorder.wait(id);
    assert.equal(done.result?.value, 'shown');
    const displays = (recorder.outputs.get(id) ?? []).map(({ output }) => output);
    assert.deepEqual(displays, [{ output_type: 'display_data', data: { 'text/plain': '<Odd>' }, metadata: {} }]);
  });

  test('a value nested deeper than the limit comes back as its repr, a shallower one as its value', async () => {
    const build = (depth: number) => `v = []\nx = v\nfor _ in range(${depth - 1}):\n    x.append([])\n    x = x[0]\nv`;
    const deep = await runToEnd(manager, recorder, build(100));
    assert.equal(deep.state, 'success');
    assert.equal(deep.result?.value, undefined);
    assert.equal(deep.result?.data['text/plain'], '['.repeat(100) + ']'.repeat(100));
    const shallow = await runToEnd(manager, recorder, build(62));
    assert.deepEqual(shallow.result?.value, nested(62));
  });

  test('a value is pickled only when the task asks for it', async () => {
    const plain = await runToEnd(manager, recorder, '[1, 2]');
    assert.equal(plain.result?.pickle, undefined);
    const pickled = await runToEnd(manager, recorder, '[1, 2]', { return_pickle: true });
    assert.deepEqual(pickled.result?.value, [1, 2]);
    assert.equal(Buffer.from(pickled.result!.pickle!, 'base64')[0], 0x80, 'a pickle');
  });

  test('the text repr of a large value sent as JSON is a preview that says so', async () => {
    const done = await runToEnd(manager, recorder, '"x" * (3 * 1024 * 1024)');
    assert.equal((done.result?.value as string).length, 3 * 1024 * 1024);
    const text = done.result?.data['text/plain'] as string;
    assert.ok(text.length < 1024 * 1024 + 200, `text/plain holds ${text.length} characters`);
    assert.match(text, /… \(repr cut at 1 MiB of 3 MiB; the whole value is the result's value\)$/);
  });

  test('a value JSON cannot hold (NaN) comes back as its repr', async () => {
    const done = await runToEnd(manager, recorder, 'float("nan")');
    assert.equal(done.state, 'success');
    assert.equal(done.result?.value, undefined);
    assert.equal(done.result?.data['text/plain'], 'nan');
  });
});
