import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import { run, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';
import { runtimeVariants } from './support/runtimes.js';

const VENV_PYTHON = new URL('../../../.venv/bin/python', import.meta.url).pathname;

for (const variant of runtimeVariants()) describe(`worker pool with real Python workers (${variant.name})`, { skip: variant.skip }, () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager(variant.options()));
  });
  after(async () => {
    await manager.stop();
    variant.cleanup();
  });

  test('a function that returns nothing comes back as None, with its start and end times', async () => {
    const done = await recorder.wait(run(manager, 'def f():\n    pass\n', { entrypoint: 'f' }));
    assert.equal(done.state, 'success');
    assert.deepEqual(done.result, { value: null, data: { 'text/plain': 'None' } });
    assert.ok(done.timestamps.running! <= done.timestamps.success!);
    assert.ok(Math.abs(done.timestamps.success! - Date.now()) < 60_000, 'epoch milliseconds');
  });

  test('a cell returns the value of its last expression', async () => {
    const done = await recorder.wait(run(manager, 'x = 20\ny = 22\nx + y'));
    assert.equal(done.state, 'success');
    assert.equal(done.result?.value, 42);
    assert.equal(done.result?.data['text/plain'], '42');
    assert.ok(done.timestamps['waiting-for-launch']! <= done.timestamps.running!);
    assert.ok(done.timestamps.running! <= done.timestamps.success!);
  });

  test('an entrypoint is called with args and kwargs', async () => {
    const source = 'def scale(values, factor=1, offset=0):\n    return [v * factor + offset for v in values]\n';
    const done = await recorder.wait(
      run(manager, source, { entrypoint: 'scale', args: [[1, 2, 3]], kwargs: { factor: 10, offset: 1 } }),
    );
    assert.equal(done.state, 'success');
    assert.deepEqual(done.result?.value, [11, 21, 31]);
  });

  test('a value that is not JSON comes back as its repr', async () => {
    const done = await recorder.wait(run(manager, '{1, 2} and object'));
    assert.equal(done.state, 'success');
    assert.equal(done.result?.value, undefined);
    assert.equal(done.result?.data['text/plain'], "<class 'object'>");
  });

  test('a stdout line arrives before the task ends', async () => {
    const id = run(manager, 'import time\nprint("first line", flush=True)\ntime.sleep(0.5)\nprint("second")\n7');
    const done = await recorder.wait(id);
    const outputs = recorder.outputs.get(id) ?? [];
    const first = outputs.find(({ output }) => output.output_type === 'stream' && output.text.includes('first line'));
    assert.ok(first, 'the first line was streamed');
    assert.ok(done.at - first.at >= 300, `the first line came ${done.at - first.at} ms before the end`);
    assert.equal(recorder.streamText(id), 'first line\nsecond\n');
    assert.equal(done.result?.value, 7);
  });

  test('text written to the real stdout and stderr reaches the running task', async () => {
    const id = run(manager, 'import os, time\nos.write(1, b"raw out\\n")\nos.write(2, b"raw err\\n")\ntime.sleep(0.3)');
    await recorder.wait(id);
    assert.equal(recorder.streamText(id, 'stdout'), 'raw out\n');
    assert.equal(recorder.streamText(id, 'stderr'), 'raw err\n');
  });

  test('display of an object with _repr_png_ becomes an image/png output', async () => {
    const source = [
      'class Picture:',
      '    def _repr_png_(self):',
      '        return b"\\x89PNG fake"',
      'display(Picture())',
    ].join('\n');
    const id = run(manager, source);
    const done = await recorder.wait(id);
    assert.equal(done.state, 'success');
    const displays = (recorder.outputs.get(id) ?? []).filter(({ output }) => output.output_type === 'display_data');
    assert.equal(displays.length, 1);
    const output = displays[0].output;
    assert.ok(output.output_type === 'display_data');
    assert.equal(Buffer.from(output.data['image/png'] as string, 'base64').toString('latin1'), '\x89PNG fake');
    assert.match(output.data['text/plain'] as string, /Picture object/);
  });

  test("an exception comes back with a traceback in the user's line numbers", async () => {
    const source = ['def inner(x):', '    return 1 / x', '', 'def outer():', '    return inner(0)', '', 'outer()'].join(
      '\n',
    );
    const done = await recorder.wait(run(manager, source));
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'ZeroDivisionError');
    assert.equal(done.error?.evalue, 'division by zero');
    const traceback = done.error!.traceback.join('\n');
    assert.match(traceback, /File "<cell>", line 7, in <module>/);
    assert.match(traceback, /File "<cell>", line 5, in outer/);
    assert.match(traceback, /File "<cell>", line 2, in inner\n\s+return 1 \/ x/);
    assert.doesNotMatch(traceback, /funcx_worker/);
  });

  test('an entrypoint error names the function in its traceback', async () => {
    const done = await recorder.wait(run(manager, 'def f(a):\n    raise KeyError(a)\n', { entrypoint: 'f', args: ['k'] }));
    assert.equal(done.error?.ename, 'KeyError');
    assert.match(done.error!.traceback.join('\n'), /File "<function f>", line 2, in f/);
  });

  test('a task over its timeout is stopped and fails with "timed out after N s"', async () => {
    const id = run(manager, 'import time\ntime.sleep(30)', { timeout_s: 0.5 });
    const done = await recorder.wait(id);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.evalue, 'timed out after 0.5 s');
    const next = await recorder.wait(run(manager, '"still working"'));
    assert.equal(next.result?.value, 'still working');
  });

  test('cancel stops a running task', async () => {
    const id = run(manager, 'import time\nprint("started", flush=True)\ntime.sleep(30)');
    while (!recorder.streamText(id).includes('started')) await new Promise((resolve) => setTimeout(resolve, 10));
    const pid = manager.pool.workers.find((worker) => worker.assigned[0] === id)?.pid;
    assert.ok(pid, 'a worker runs the task');
    assert.deepEqual(manager.cancel([id]), [id]);
    const done = await recorder.wait(id);
    assert.equal(done.state, 'cancelled');
    assert.ok(done.timestamps.cancelled);
    const next = await recorder.wait(run(manager, '1 + 1'));
    assert.equal(next.result?.value, 2);
    assert.ok(!manager.pool.workers.some((worker) => worker.pid === pid), 'the cancelled worker was replaced');
  });

  test('a worker that calls os._exit(3) fails its task with "worker died (exit code 3)" and the next task runs', async () => {
    const done = await recorder.wait(run(manager, 'import os\nos._exit(3)'));
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.evalue, 'worker died (exit code 3)');
    const next = await recorder.wait(run(manager, '"next"'));
    assert.equal(next.result?.value, 'next');
  });

  test('tasks queued behind a worker that dies are run by another worker', async () => {
    const ids = [run(manager, 'import os, time\ntime.sleep(0.2)\nos._exit(5)')];
    for (let i = 0; i < 20; i++) ids.push(run(manager, `${i} * 2`));
    const results = await Promise.all(ids.map((id) => recorder.wait(id)));
    assert.equal(results[0].error?.evalue, 'worker died (exit code 5)');
    assert.deepEqual(
      results.slice(1).map((result) => result.result?.value),
      Array.from({ length: 20 }, (_, i) => i * 2),
    );
  });

  test('a syntax error points at the line in the source', async () => {
    const done = await recorder.wait(run(manager, 'x = 1\ny = (\n'));
    assert.equal(done.error?.ename, 'SyntaxError');
    assert.match(done.error!.traceback.join('\n'), /File "<cell>", line 2/);
  });
});

describe('matplotlib in a worker', { skip: !existsSync(VENV_PYTHON) && 'no .venv with matplotlib' }, () => {
  test('an open figure becomes an image/png display output', async () => {
    const { manager, recorder } = await startManager({ python: VENV_PYTHON, size: 1 });
    try {
      const source = 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("rising")\n"drawn"';
      const id = run(manager, source);
      const done = await recorder.wait(id, 60_000);
      assert.equal(done.state, 'success', JSON.stringify(done.error));
      const images = (recorder.outputs.get(id) ?? []).filter(
        ({ output }) => output.output_type === 'display_data' && 'image/png' in output.data,
      );
      assert.equal(images.length, 1);
      const output = images[0].output;
      assert.ok(output.output_type === 'display_data');
      const png = Buffer.from(output.data['image/png'] as string, 'base64');
      assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    } finally {
      await manager.stop();
    }
  });
});
