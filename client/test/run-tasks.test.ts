import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { TaskOutput } from '@funcx/protocol';
import { makeTempDir, waitFor, withTimeout } from '@funcx/testing';
import { join, startWorld, stopWorld, workerPython, type World } from './support/world.js';

const hasMatplotlib = workerPython().includes('.venv');

describe('running functions on a real endpoint', { timeout: 180_000 }, () => {
  let world: World;
  before(async () => {
    world = await startWorld({ workers: 2 });
  });
  after(() => stopWorld(world));

  test('a registered function runs with its args and kwargs and returns its value', async () => {
    const { function_id } = await world.client.registerFunction({
      name: 'scale',
      language: 'python',
      entrypoint: 'scale',
      source: 'def scale(values, factor=1):\n    return [v * factor for v in values]\n',
    });
    const task = await world.run({ function_id, args: [[1, 2, 3]], kwargs: { factor: 10 } });
    assert.equal(task.state, 'success');
    assert.deepEqual(task.result?.value, [10, 20, 30]);
    assert.equal(task.result?.data['text/plain'], '[10, 20, 30]');
    for (const state of ['received', 'running', 'success'] as const) {
      assert.equal(typeof task.timestamps[state], 'number', `timestamp of ${state}`);
    }
  });

  test('inline source runs like a notebook cell and returns its last expression', async () => {
    const task = await world.run({ source: 'x = 6\nprint("computing")\nx * 7' });
    assert.equal(task.state, 'success');
    assert.equal(task.result?.value, 42);
    const stdout = task.outputs.filter((o) => o.output_type === 'stream' && o.name === 'stdout');
    assert.match(stdout.map((o) => (o.output_type === 'stream' ? o.text : '')).join(''), /computing\n/);
  });

  test('a value that is not JSON comes back as its repr, its rich representations and, when asked, a pickle', async () => {
    const source = [
      'class Table:',
      '    def __repr__(self):',
      '        return "Table(2 rows)"',
      '    def _repr_html_(self):',
      '        return "<table><tr><td>1</td></tr><tr><td>2</td></tr></table>"',
      'Table()',
    ].join('\n');
    const table = await world.run({ source });
    assert.equal(table.state, 'success');
    assert.equal(table.result?.value, undefined);
    assert.equal(table.result?.data['text/plain'], 'Table(2 rows)');
    assert.match(String(table.result?.data['text/html']), /^<table>/);

    const plain = await world.run({ source: '{3, 1, 2}' });
    assert.equal(plain.result?.value, undefined);
    assert.equal(plain.result?.data['text/plain'], '{1, 2, 3}');
    assert.equal(plain.result?.pickle, undefined, 'no pickle unless the submitter asks for one');
    const set = await world.run({ source: '{3, 1, 2}', return_pickle: true });
    const pickle = Buffer.from(set.result?.pickle ?? '', 'base64');
    assert.equal(pickle[0], 0x80, 'a pickle (protocol marker)');
  });

  test('a stdout line arrives before the task ends', async () => {
    // The task waits for a file the test creates only after it has received the task's first line.
    const flag = join(makeTempDir('funcx-flag-'), 'go');
    const source = [
      'import os, sys, time',
      'print("first", flush=True)',
      'deadline = time.time() + 15',
      `while not os.path.exists(${JSON.stringify(flag)}):`,
      '    if time.time() > deadline:',
      '        raise RuntimeError("the first line was not streamed before the end of the task")',
      '    time.sleep(0.02)',
      'time.sleep(0.2)',
      'print("second")',
    ].join('\n');
    const { task_ids } = await world.client.submitLive([{ endpoint: world.endpoint.name, source }]);
    const arrivals: { text: string; at: number }[] = [];
    let finalAt = 0;
    const final = await withTimeout(
      new Promise<string>((resolve, reject) => {
        world.client.watchTask(task_ids[0], {
          onOutput: (output) => {
            if (output.output_type !== 'stream') return;
            arrivals.push({ text: output.text, at: performance.now() });
            if (output.text.includes('first')) writeFileSync(flag, 'go');
          },
          onFinal: (event) => {
            finalAt = performance.now();
            resolve(event.state);
          },
          onError: reject,
        });
      }),
      30_000,
      'the streaming task',
    );
    assert.equal(final, 'success');
    const first = arrivals.find((a) => a.text.includes('first'));
    assert.ok(first, 'the first line arrived');
    assert.ok(first.at < finalAt, 'the first line arrived before the final event');
    assert.ok(!first.text.includes('second'), 'the first line arrived on its own, before the second was printed');
    assert.ok(arrivals.some((a) => a.text.includes('second')));
  });

  test('stderr is streamed apart from stdout', async () => {
    const task = await world.run({ source: 'import sys\nprint("out")\nprint("err", file=sys.stderr)' });
    const text = (name: string) =>
      task.outputs.map((o) => (o.output_type === 'stream' && o.name === name ? o.text : '')).join('');
    assert.equal(text('stdout'), 'out\n');
    assert.equal(text('stderr'), 'err\n');
  });

  test('display() of an object with _repr_png_ comes back as an image/png output', async () => {
    const source = [
      'import base64',
      'PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")',
      'class Dot:',
      '    def _repr_png_(self):',
      '        return PNG',
      'display(Dot())',
    ].join('\n');
    const task = await world.run({ source });
    assert.equal(task.state, 'success');
    const image = task.outputs.find((o): o is Extract<TaskOutput, { output_type: 'display_data' }> => o.output_type === 'display_data');
    assert.ok(image, 'a display output');
    const png = Buffer.from(String(image.data['image/png']), 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test('a matplotlib figure becomes a PNG display output', { skip: !hasMatplotlib && 'no matplotlib' }, async () => {
    const source = 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("trend")\nNone';
    const task = await world.run({ source }, 40_000);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    const images = task.outputs.filter((o) => o.output_type === 'display_data' && 'image/png' in o.data);
    assert.equal(images.length, 1);
    const png = Buffer.from(String((images[0] as { data: Record<string, unknown> }).data['image/png']), 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 1_000, 'a real plot, not an empty image');
  });

  test("an exception comes back with its traceback in the user's line numbers", async () => {
    const source = 'def divide(a, b):\n    return a / b\n\nresult = divide(1, 0)\n';
    const task = await world.run({ source });
    assert.equal(task.state, 'failed');
    assert.equal(task.error?.ename, 'ZeroDivisionError');
    assert.match(task.error?.evalue ?? '', /division by zero/);
    const traceback = task.error?.traceback.join('\n') ?? '';
    assert.match(traceback, /line 4/);
    assert.match(traceback, /line 2, in divide/);
    assert.doesNotMatch(traceback, /funcx_worker\.py/, 'no worker frames');
  });

  test('a task over its timeout fails with "timed out after N s"', async () => {
    const task = await world.run({ source: 'import time\ntime.sleep(60)', timeout_s: 1 });
    assert.equal(task.state, 'failed');
    assert.match(`${task.error?.evalue} ${task.error?.traceback.join(' ')}`, /timed out after 1 s/);
  });

  test('cancelling a running task stops it, and the endpoint keeps running tasks', async () => {
    const { task_ids } = await world.client.submitLive([
      { endpoint: world.endpoint.name, source: 'import time\nprint("started", flush=True)\ntime.sleep(60)' },
    ]);
    const taskId = task_ids[0];
    await waitFor(async () => (await world.client.getTask(taskId)).state === 'running', {
      timeoutMs: 15_000,
      what: 'the task to run',
    });
    await world.client.cancelTask(taskId);
    const cancelled = await withTimeout(world.client.waitForTask(taskId), 15_000, 'the cancelled task');
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(typeof cancelled.timestamps.cancelled, 'number');
    const next = await world.run({ source: '"still here"' });
    assert.equal(next.result?.value, 'still here');
  });

  test('a worker that calls os._exit fails its task clearly, and the next task still runs', async () => {
    const died = await world.run({ source: 'import os\nos._exit(3)' });
    assert.equal(died.state, 'failed');
    assert.match(`${died.error?.ename}: ${died.error?.evalue}`, /worker died/);
    assert.match(died.error?.evalue ?? '', /exit code 3/);
    const tasks = await Promise.all([1, 2, 3].map((n) => world.run({ source: `${n} + 1` })));
    assert.deepEqual(
      tasks.map((t) => t.result?.value),
      [2, 3, 4],
    );
  });

  test('a batch of tasks submitted in one message all finish, results in order', async () => {
    const { function_id } = await world.client.registerFunction({
      name: 'square',
      language: 'python',
      entrypoint: 'square',
      source: 'def square(x):\n    return x * x\n',
    });
    const tasks = Array.from({ length: 50 }, (_, i) => ({ endpoint: world.endpoint.name, function_id, args: [i] }));
    const { task_ids } = await world.client.submitLive(tasks);
    assert.equal(task_ids.length, 50);
    const records = await withTimeout(Promise.all(task_ids.map((id) => world.client.waitForTask(id))), 30_000, 'the batch');
    assert.deepEqual(
      records.map((r) => r.result?.value),
      tasks.map((_, i) => i * i),
    );
  });
});
