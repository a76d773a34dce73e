import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import type { Runtime, WorkerLaunch } from '../src/runtimes/index.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

/**
 * The channel docker's runtime uses, on a plain process: the worker's requests on its stdin and replies on its
 * stdout (`--stdio`), because docker cannot hand a container the client's fds 3 and 4.
 */
class OverStdio implements Runtime {
  readonly kind = 'process';
  readonly keepsProcessTree = false;

  wrap(worker: WorkerLaunch, scratch: string): WorkerLaunch {
    return { ...worker, args: [...worker.args, '--stdio'], channel: 'stdio', cwd: scratch };
  }
}

describe("a worker that speaks over stdin and stdout (docker's channel)", () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager({ size: 1, runtime: new OverStdio() }));
  });
  after(() => manager.stop());

  test('runs tasks and streams what they print before they end', async () => {
    const id = run(manager, 'import time\nprint("first", flush=True)\ntime.sleep(0.3)\n6 * 7');
    const done = await recorder.wait(id);
    assert.equal(done.result?.value, 42);
    const first = (recorder.outputs.get(id) ?? []).find(({ output }) => output.output_type === 'stream' && output.text === 'first\n');
    assert.ok(first && done.at - first.at >= 200, 'the line came while the task ran');
  });

  test('what the task writes to fd 1 itself arrives as stderr, and the protocol survives it', async () => {
    const id = run(manager, 'import os, time\nos.write(1, b"raw\\n")\ntime.sleep(0.2)\n"intact"');
    const done = await recorder.wait(id);
    assert.equal(done.result?.value, 'intact');
    assert.equal(recorder.streamText(id, 'stderr'), 'raw\n');
  });

  test('stdin reads nothing in the task', async () => {
    const done = await runToEnd(manager, recorder, 'import sys\nsys.stdin.read()');
    assert.equal(done.result?.value, '');
  });

  test('a timeout stops the task and a fresh worker takes the next', async () => {
    const done = await runToEnd(manager, recorder, 'import time\ntime.sleep(30)', { timeout_s: 0.3 });
    assert.equal(done.error?.evalue, 'timed out after 0.3 s');
    assert.equal((await runToEnd(manager, recorder, '"after"')).result?.value, 'after');
  });
});
