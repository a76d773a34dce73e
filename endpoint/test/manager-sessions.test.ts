import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import { run, runToEnd, startManager } from './support/manager.js';

const PID = 'import os\nos.getpid()';

describe("a manager's sessions, on real Python workers", () => {
  const managers: Manager[] = [];
  after(() => Promise.all(managers.map((manager) => manager.stop())));
  const start = async (size: number) => {
    const started = await startManager({ size });
    managers.push(started.manager);
    return started;
  };

  test("a session's tasks run one after another, in order, and one cancelled while it waits never runs", async () => {
    const { manager, recorder } = await start(2);
    const first = run(manager, 'import time\nseen = ["first"]\ntime.sleep(0.5)', { session: 'order' });
    const second = run(manager, 'seen.append("second")', { session: 'order' });
    const third = run(manager, 'seen.append("third")\nseen', { session: 'order' });
    assert.deepEqual(manager.cancel([second]), [second]);
    assert.equal((await recorder.wait(first)).state, 'success');
    assert.equal((await recorder.wait(second)).state, 'cancelled');
    const done = await recorder.wait(third);
    assert.deepEqual(done.result?.value, ['first', 'third']);
  });

  test("a session's worker takes no other task, even when it is idle and others wait", async () => {
    const { manager, recorder } = await start(2);
    const kept = (await runToEnd(manager, recorder, PID, { session: 'kept' })).result?.value;
    const others = await Promise.all([run(manager, `import time\ntime.sleep(0.2)\n${PID}`), run(manager, `import time\ntime.sleep(0.2)\n${PID}`)].map((id) => recorder.wait(id)));
    assert.ok(others.every((done) => done.result?.value !== kept), `ordinary tasks ran beside the session's worker ${kept}`);
    assert.equal((await runToEnd(manager, recorder, PID, { session: 'kept' })).result?.value, kept, 'the session keeps its worker');
    assert.equal(manager.load().workers_busy, 1, "the session's worker counts as busy between its tasks");
  });

  test("ending a session fails its waiting tasks and frees its worker for anyone's tasks", async () => {
    const { manager, recorder } = await start(1);
    const slow = run(manager, 'import time\ntime.sleep(30)', { session: 'gone' });
    const waiting = run(manager, '1', { session: 'gone' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(manager.endSessions([{ owner: 'alice', name: 'gone' }]), ['gone']);
    const [ran, waited] = await Promise.all([recorder.wait(slow), recorder.wait(waiting)]);
    assert.equal(ran.error?.ename, 'SessionEnded');
    assert.match(ran.error?.evalue ?? '', /session gone was ended while this task ran/);
    assert.match(waited.error?.evalue ?? '', /session gone was ended before this task ran/);
    assert.equal((await runToEnd(manager, recorder, '2', { owner: 'bob' })).result?.value, 2, "bob's task gets the freed worker");
    assert.deepEqual(manager.endSessions([{ owner: 'alice', name: 'gone' }]), [], 'ended once');
  });
});
