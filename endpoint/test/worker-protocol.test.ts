import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

const PID = 'import os\nos.getpid()';
/** A cell that writes `line` to the worker's reply pipe, then lingers so that only the daemon can end it. */
const writeToReplies = (line: string) => `import os, time\nos.write(4, ${JSON.stringify(line + '\n')}.encode())\ntime.sleep(10)`;

describe('replies a worker writes on fd 4 are checked', () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager());
  });
  after(() => manager.stop());

  test('a line that is not JSON fails its task with WorkerProtocolError and a fresh worker takes the next task', async () => {
    const id = run(manager, 'print(__import__("os").getpid(), flush=True)\n' + writeToReplies('this is not json'));
    const done = await recorder.wait(id);
    assert.equal(done.state, 'failed');
    assert.equal(done.error?.ename, 'WorkerProtocolError');
    assert.match(done.error!.evalue, /a reply is not JSON: "this is not json"/);
    const brokenPid = Number(recorder.streamText(id));
    const pids = [];
    for (let i = 0; i < 4; i++) pids.push((await runToEnd(manager, recorder, PID)).result?.value);
    assert.ok(brokenPid > 0 && !pids.includes(brokenPid), `the broken worker ${brokenPid} was replaced (${pids})`);
    assert.equal(manager.pool.workers.length, 2, 'the pool keeps its size');
  });

  test('a reply nested 1,000 deep fails its task, and the manager serves on', async () => {
    const deep = '['.repeat(1000) + ']'.repeat(1000);
    const done = await runToEnd(manager, recorder, writeToReplies(`{"t":"o","i":null,"n":"stdout","x":${deep}}`));
    assert.equal(done.error?.ename, 'WorkerProtocolError');
    assert.match(done.error!.evalue, /a reply nests more than 64 levels deep/);
    assert.equal((await runToEnd(manager, recorder, '"still serving"')).result?.value, 'still serving');
  });

  test('a reply of the wrong shape fails its task', async () => {
    const done = await runToEnd(manager, recorder, writeToReplies('{"t":"o","i":null,"n":"stdout","x":7}'));
    assert.equal(done.error?.ename, 'WorkerProtocolError');
    assert.match(done.error!.evalue, /its text "x" is not a string/);
  });

  test("a completion forged for another worker's running task does not complete it", async () => {
    const victim = run(manager, 'import time\ntime.sleep(1)\n"real"');
    const forged = JSON.stringify({ t: 'ok', i: victim, ts0: 0, ts1: 0, r: { value: 'forged', data: { 'text/plain': "'forged'" } } });
    const forger = await runToEnd(manager, recorder, writeToReplies(forged));
    assert.equal(forger.error?.ename, 'WorkerProtocolError');
    assert.match(forger.error!.evalue, new RegExp(`it reported the end of task ${victim}, which it does not hold`));
    const real = await recorder.wait(victim);
    assert.equal(real.state, 'success');
    assert.equal(real.result?.value, 'real');
  });

  test('printed text that names another task goes to the task that printed it', async () => {
    const victim = run(manager, 'import time\ntime.sleep(0.6)\nprint("own line")');
    const planted = JSON.stringify({ t: 'o', i: victim, n: 'stdout', x: 'planted\n' });
    const forger = run(manager, `import os, time\nos.write(4, ${JSON.stringify(planted + '\n')}.encode())\ntime.sleep(0.2)`);
    await recorder.wait(forger);
    await recorder.wait(victim);
    assert.equal(recorder.streamText(victim), 'own line\n');
    assert.equal(recorder.streamText(forger), 'planted\n');
  });
});

describe('requests reach a worker whole however its reads cut them', () => {
  let manager: Manager;
  let recorder: Recorder;

  before(async () => {
    ({ manager, recorder } = await startManager({ size: 1 }));
  });
  after(() => manager.stop());

  test('a request of several MB, spanning many reads, then 200 small ones in the same write each get their own answer', async () => {
    const measure = 'import os\ndef measure(text, times=1):\n    return [len(text), text[:3], text[-3:], times, os.getpid()]\n';
    const big = 'abc' + 'x'.repeat(3 * 1024 * 1024) + 'xyz';
    const ids = [run(manager, measure, { entrypoint: 'measure', args: [big] })];
    for (let i = 0; i < 200; i++) ids.push(run(manager, measure, { entrypoint: 'measure', args: [`n${i}-`], kwargs: { times: i } }));
    const done = await Promise.all(ids.map((id) => recorder.wait(id, 60_000)));
    const values = done.map((completion) => completion.result?.value as [number, string, string, number, number]);
    assert.deepEqual(values[0].slice(0, 4), [big.length, 'abc', 'xyz', 1]);
    for (let i = 0; i < 200; i++) {
      const text = `n${i}-`;
      assert.deepEqual(values[i + 1].slice(0, 4), [text.length, text.slice(0, 3), text.slice(-3), i], `task ${i}`);
    }
    assert.equal(new Set(values.map((value) => value[4])).size, 1, 'one worker served them all, never replaced');
  });
});
