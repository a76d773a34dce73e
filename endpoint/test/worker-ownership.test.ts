import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import { run, runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

const SLOW_PID = 'import os, time\ntime.sleep(0.3)\nos.getpid()';
const PID = 'import os\nos.getpid()';

describe('one user per worker', () => {
  const managers: Manager[] = [];
  const start = async (size: number): Promise<{ manager: Manager; recorder: Recorder }> => {
    const started = await startManager({ size });
    managers.push(started.manager);
    return started;
  };
  after(() => Promise.all(managers.map((manager) => manager.stop())));

  test("a worker that ran alice's code never runs bob's task; one of hers is replaced and the pool keeps its size", async () => {
    const { manager, recorder } = await start(2);
    const alice = await Promise.all([run(manager, SLOW_PID), run(manager, SLOW_PID)].map((id) => recorder.wait(id)));
    const alicePids = alice.map((done) => done.result?.value);
    assert.equal(new Set(alicePids).size, 2, 'alice used both workers');
    const bob = await runToEnd(manager, recorder, PID, { owner: 'bob' });
    assert.equal(bob.state, 'success');
    assert.ok(!alicePids.includes(bob.result?.value), `bob ran in worker ${bob.result?.value}, not one of alice's (${alicePids})`);
    assert.equal(manager.pool.workers.length, 2);
    const aliceAgain = await runToEnd(manager, recorder, PID);
    assert.ok(alicePids.includes(aliceAgain.result?.value), "alice's next task runs in the worker she kept");
    const bobAgain = await runToEnd(manager, recorder, PID, { owner: 'bob' });
    assert.equal(bobAgain.result?.value, bob.result?.value, "bob's next task runs warm in his own worker");
  });

  test("a worker alice tampered with does not run bob's task", async () => {
    const { manager, recorder } = await start(1);
    const tamper = [
      'import sys',
      'worker = sys.modules["__main__"].WORKER',
      'def captured(self, message, original=type(worker).run):',
      '    message["f"] = next(iter(self.functions))',
      '    return original(self, message)',
      'type(worker).run = captured',
      'sys.modules["__main__"].STOLEN = "alice was here"',
    ].join('\n');
    assert.equal((await runToEnd(manager, recorder, tamper)).state, 'success');
    const bob = await runToEnd(manager, recorder, 'import sys\ngetattr(sys.modules["__main__"], "STOLEN", "clean")', { owner: 'bob' });
    assert.equal(bob.result?.value, 'clean');
  });

  test("alice's later tasks in the same worker see the module state her earlier tasks left", async () => {
    const { manager, recorder } = await start(1);
    const count = 'import builtins\nbuiltins.funcx_counter = getattr(builtins, "funcx_counter", 0) + 1\nbuiltins.funcx_counter';
    assert.equal((await runToEnd(manager, recorder, count)).result?.value, 1);
    assert.equal((await runToEnd(manager, recorder, count)).result?.value, 2);
    assert.equal((await runToEnd(manager, recorder, count, { owner: 'bob' })).result?.value, 1, 'bob starts afresh');
  });
});
