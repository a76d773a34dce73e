import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';
import { runtimeVariants } from './support/runtimes.js';
import { fiveStrays, processesWith, uniqueMarker } from './support/stray-processes.js';

const MiB = 1024 * 1024;

/** Starts the five strays as a task, waits until all five run, lets `end` stop the task, checks none survive. */
async function strandedChildrenDie(manager: Manager, recorder: Recorder, end: (taskId: string) => void, timeout_s?: number) {
  const marker = uniqueMarker();
  const id = run(manager, fiveStrays(marker), { timeout_s });
  await waitFor(() => processesWith(marker).length === 5, { what: 'five stray sleeps', timeoutMs: 20_000 });
  end(id);
  const done = await recorder.wait(id);
  await waitFor(() => processesWith(marker).length === 0, { what: `no process left with ${marker}`, timeoutMs: 10_000 });
  return done;
}

for (const variant of runtimeVariants()) describe(`per-task limits, with real workers (${variant.name})`, { skip: variant.skip }, () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager({
      ...variant.options(),
      size: 2,
      rlimits: { memoryMb: 4096, processes: 256 },
      limits: { processes: 40, cpuSeconds: 1, outputBytes: 2000 },
    }));
  });
  after(async () => {
    await manager.stop();
    variant.cleanup();
  });

  test('the children of a timed-out task do not survive it, 5 of 5', async () => {
    const done = await strandedChildrenDie(manager, recorder, () => {}, 2);
    assert.equal(done.error?.evalue, 'timed out after 2 s');
  });

  test('the children of a cancelled task do not survive it, 5 of 5', async () => {
    const done = await strandedChildrenDie(manager, recorder, (id) => manager.cancel([id]));
    assert.equal(done.state, 'cancelled');
  });

  test('an 8 GiB allocation fails as a MemoryError and the worker serves on', async () => {
    const done = await runToEnd(manager, recorder, 'import os\nPID = os.getpid()\nblock = bytearray(8 * 1024 ** 3)');
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'MemoryError');
    assert.equal((await runToEnd(manager, recorder, '"after"')).result?.value, 'after');
  });

  test('a task that forks many processes is stopped, and its processes with it', async () => {
    const marker = uniqueMarker();
    const source = `import os, time\nfor _ in range(400):\n    if os.fork() == 0:\n        os.execvp("sleep", ["sleep", "${marker}"])\ntime.sleep(30)`;
    const done = await runToEnd(manager, recorder, source);
    assert.equal(done.error?.ename, 'ProcessLimitExceeded');
    assert.match(done.error!.evalue, /more than 40 processes at once, the endpoint's limit \(limits\.processes\)/);
    await waitFor(() => processesWith(marker).length === 0, { what: 'the forked processes gone', timeoutMs: 10_000 });
  });

  test('a task over its CPU time is stopped; waiting costs none', async () => {
    const spin = await runToEnd(manager, recorder, 'while True:\n    pass');
    assert.equal(spin.error?.ename, 'CpuTimeExceeded');
    assert.match(spin.error!.evalue, /more than 1 s of CPU time/);
    const idle = await runToEnd(manager, recorder, 'import time\ntime.sleep(1.5)\n"rested"');
    assert.equal(idle.result?.value, 'rested');
  });

  test('output past the limit is dropped after one note', async () => {
    const id = run(manager, 'for i in range(200):\n    print("x" * 49)');
    await recorder.wait(id);
    const outputs = recorder.outputs.get(id) ?? [];
    const text = outputs.map(({ output }) => (output.output_type === 'stream' ? output.text : '')).join('');
    assert.ok(text.length < 2000 + 200, `${text.length} characters were forwarded`);
    assert.equal(text.split('further output of this task was dropped').length, 2, 'one note');
    assert.match(text, /the endpoint's limit of 2 KiB \(limits\.output_bytes\)/);
  });

  test('a result counts one representation: a 6 MiB value with its pickle comes back', async () => {
    const done = await runToEnd(manager, recorder, '["%06d" % i + "x" * 58 for i in range(96 * 1024)]', { return_pickle: true });
    assert.equal(done.state, 'success', JSON.stringify(done.error));
    assert.equal((done.result?.value as string[]).length, 96 * 1024);
    assert.ok(done.result?.pickle && done.result.pickle.length > 6 * MiB);
  });

  test('a result over the limit fails with its size in binary units', async () => {
    const done = await runToEnd(manager, recorder, '"x" * (12 * 1024 * 1024)');
    assert.equal(done.error?.ename, 'ResultTooLarge');
    assert.match(done.error!.evalue, /^the result is 12 MiB; the limit is 10 MiB: return less data/);
  });
});
