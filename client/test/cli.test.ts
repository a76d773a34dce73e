import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, waitFor } from '@funcx/testing';
import { funcx, join, spawnFuncx, startWorld, stopWorld, type World } from './support/world.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the funcx CLI against a real hub and endpoint', { timeout: 180_000 }, () => {
  let world: World;
  let dir: string;
  const file = (name: string, source: string) => {
    const path = join(dir, name);
    writeFileSync(path, source);
    return path;
  };
  before(async () => {
    world = await startWorld({ workers: 2 });
    dir = makeTempDir('funcx-files-');
  });
  after(() => stopWorld(world));

  test('register prints the function id, functions lists it, run prints its result', async () => {
    const path = file('add.py', 'def add(a, b=0):\n    return a + b\n');
    const registered = await funcx(world, ['register', path, '--entrypoint', 'add', '--description', 'adds']);
    assert.equal(registered.code, 0, registered.stderr);
    const functionId = registered.stdout.trim();
    assert.match(functionId, UUID);

    const listed = await funcx(world, ['functions']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+ID/);
    assert.match(listed.stdout, new RegExp(`add\\s+${functionId}\\s+add\\s+private`));

    const run = await funcx(world, ['run', '--function', functionId, '--endpoint', 'local', '--args', '[2]', '--kwargs', '{"b": 40}']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '42\n');
  });

  test('run FILE.py --entrypoint calls that function with --args, and --timeout stops a slow one', async () => {
    const path = file('tools.py', 'import time\n\ndef mean(xs):\n    return sum(xs) / len(xs)\n\ndef slow():\n    time.sleep(60)\n');
    const run = await funcx(world, ['run', path, '--entrypoint', 'mean', '--endpoint', 'local', '--args', '[[1, 2, 3, 4]]']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '2.5\n');
    const slow = await funcx(world, ['run', path, '--entrypoint', 'slow', '--endpoint', 'local', '--timeout', '1']);
    assert.equal(slow.code, 1);
    assert.match(slow.stderr, /timed out after 1 s/);
  });

  test('run FILE.py streams stdout to the terminal while the task runs', async () => {
    const flag = join(dir, 'go');
    const path = file(
      'stream.py',
      [
        'import os, time',
        'print("first", flush=True)',
        'deadline = time.time() + 15',
        `while not os.path.exists(${JSON.stringify(flag)}) and time.time() < deadline:`,
        '    time.sleep(0.02)',
        'print("second")',
        'os.path.exists(' + JSON.stringify(flag) + ')',
      ].join('\n'),
    );
    const child = spawnFuncx(world, ['run', path, '--endpoint', 'local']);
    await child.waitForOutput(/first\n/, { stream: 'stdout', timeoutMs: 20_000 });
    assert.doesNotMatch(child.stdout, /second/);
    writeFileSync(flag, 'go');
    const status = await child.waitForExit(20_000);
    assert.equal(status.code, 0, child.stderr);
    assert.equal(child.stdout, 'first\nsecond\nTrue\n');
  });

  test('run writes stderr to stderr and notes a display output in one line', async () => {
    const path = file(
      'show.py',
      [
        'import base64, sys',
        'class Dot:',
        '    def _repr_png_(self):',
        '        return base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")',
        'print("warning", file=sys.stderr)',
        'display(Dot())',
      ].join('\n'),
    );
    const run = await funcx(world, ['run', path, '--endpoint', 'local']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'warning\n');
    assert.match(run.stdout, /^\[image\/png \d+ B\]\n$/);
  });

  test('a failed task exits 1 with its traceback on stderr', async () => {
    const path = file('fail.py', 'def f():\n    raise ValueError("bad input")\n\nf()\n');
    const run = await funcx(world, ['run', path, '--endpoint', 'local']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Traceback/);
    assert.match(run.stderr, /line 2, in f/);
    assert.match(run.stderr, /ValueError: bad input/);
  });

  test('submit prints a task id; status shows its states; result --wait prints its result', async () => {
    const path = file('slow.py', 'import time\ntime.sleep(0.5)\nprint("done")\n"value"');
    const submitted = await funcx(world, ['submit', path, '--endpoint', 'local']);
    assert.equal(submitted.code, 0, submitted.stderr);
    const taskId = submitted.stdout.trim();
    assert.match(taskId, UUID);

    const result = await funcx(world, ['result', taskId, '--wait']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "done\n'value'\n");

    const status = await funcx(world, ['status', taskId]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /state\s+success/);
    assert.match(status.stdout, /STATE\s+ENTERED\s+TIME IN STATE/);
    assert.match(status.stdout, /received\s+\d{4}-\d\d-\d\dT/);
    assert.match(status.stdout, /running\s+\S+\s+[\d.]+ (ms|s)/);
  });

  test('Ctrl-C during run cancels the task and exits 130', async () => {
    const path = file('forever.py', 'import time\nprint("started", flush=True)\ntime.sleep(120)');
    const child = spawnFuncx(world, ['run', path, '--endpoint', 'local']);
    await child.waitForOutput(/started/, { timeoutMs: 20_000 });
    child.signal('SIGINT');
    const status = await child.waitForExit(15_000);
    assert.equal(status.code, 130);
    assert.match(child.stderr, /cancelling task ([0-9a-f-]{36})/);
    const taskId = child.stderr.match(/cancelling task ([0-9a-f-]{36})/)![1];
    await waitFor(async () => (await world.client.getTask(taskId)).state === 'cancelled', {
      timeoutMs: 15_000,
      what: 'the task to be cancelled',
    });
  });

  test('cancel ID cancels a submitted task', async () => {
    const path = file('long.py', 'import time\ntime.sleep(120)');
    const taskId = (await funcx(world, ['submit', path, '--endpoint', 'local'])).stdout.trim();
    const cancel = await funcx(world, ['cancel', taskId]);
    assert.equal(cancel.code, 0, cancel.stderr);
    await waitFor(async () => (await world.client.getTask(taskId)).state === 'cancelled', {
      timeoutMs: 15_000,
      what: 'the task to be cancelled',
    });
    const result = await funcx(world, ['result', taskId]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /was cancelled/);
  });

  test('endpoints shows a table with the endpoint online and its workers', async () => {
    // An earlier test cancelled a running task, whose worker is replaced: wait until both are back.
    await waitFor(async () => (await world.endpoint.view()).status.workers_total === 2, { timeoutMs: 10_000, what: 'both workers ready' });
    const listed = await funcx(world, ['endpoints']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+ID\s+STATUS\s+WORKERS\s+QUEUED\s+RUNNING\s+HEARTBEAT\s+SITE/);
    assert.match(listed.stdout, new RegExp(`local\\s+${world.endpoint.endpointId}\\s+(online|busy)\\s+\\d/2`));
  });

  test('tasks lists the tasks run so far, newest first, with their state and endpoint, a page at a time', async () => {
    const listed = await funcx(world, ['tasks', '--limit', '3']);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.match(lines[0], /^TASK\s+STATE\s+ENDPOINT\s+FUNCTION\s+RECEIVED\s+TOOK/);
    assert.equal(lines.filter((line) => /^[0-9a-f-]{36}\s/.test(line)).length, 3);
    assert.match(lines[1], /\s(success|failed|cancelled|running)\s+local\s/);
    const more = /^more: funcx tasks --cursor (\S+)$/m.exec(listed.stdout);
    assert.ok(more, 'says how to get the next page');
    const next = await funcx(world, ['tasks', '--limit', '3', '--cursor', more[1]]);
    assert.equal(next.code, 0, next.stderr);
    const firstIds = lines.slice(1, 4).map((line) => line.split(/\s+/)[0]);
    assert.ok(!firstIds.some((id) => next.stdout.includes(id)), 'the next page holds other tasks');
    const cancelled = await funcx(world, ['tasks', '--state', 'cancelled']);
    assert.match(cancelled.stdout, /\scancelled\s/);
    assert.doesNotMatch(cancelled.stdout, /\ssuccess\s/);
  });

  test('bad --args JSON is refused with a message naming the flag', async () => {
    const run = await funcx(world, ['run', '--function', 'x', '--endpoint', 'local', '--args', '[1,']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^funcx: --args is not valid JSON/);
    const notArray = await funcx(world, ['run', '--function', 'x', '--endpoint', 'local', '--args', '{"a": 1}']);
    assert.equal(notArray.code, 2);
    assert.match(notArray.stderr, /--args must be a JSON array/);
  });

  test('an unknown endpoint is one clear line and a non-zero exit', async () => {
    const path = file('one.py', '1');
    const run = await funcx(world, ['run', path, '--endpoint', 'nowhere']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^funcx: .*\[FUNCX_ENDPOINT_NOT_FOUND\]\n$/);
  });

  test('without credentials the CLI says how to provide them and exits 2', async () => {
    const empty = makeTempDir('funcx-empty-');
    const run = await funcx(world, ['endpoints'], {
      env: { FUNCX_HOME: empty, FUNCX_HUB_URL: '', FUNCX_TOKEN: '' },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /FUNCX_HUB_URL and FUNCX_TOKEN/);
    assert.match(run.stderr, /credentials\.json/);
  });

  test('the credentials file alone is enough', async () => {
    const run = await funcx(world, ['endpoints'], { env: { FUNCX_HUB_URL: '', FUNCX_TOKEN: '' } });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /local/);
  });

  test('an unreachable hub names its URL', async () => {
    const run = await funcx(world, ['functions'], { env: { FUNCX_HUB_URL: 'http://127.0.0.1:1' } });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /http:\/\/127\.0\.0\.1:1 could not be reached/);
  });

  test('a variable set by one run of a session is there in the next; sessions lists it; end ends it', async () => {
    const set = await funcx(world, ['run', file('set.py', 'x = 41\n'), '--endpoint', 'local', '--session', 'cli']);
    assert.equal(set.code, 0, set.stderr);
    const read = await funcx(world, ['run', file('read.py', 'x + 1\n'), '--endpoint', 'local', '--session', 'cli']);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(read.stdout, '42\n');
    const without = await funcx(world, ['run', join(dir, 'read.py'), '--endpoint', 'local']);
    assert.equal(without.code, 1);
    assert.match(without.stderr, /NameError/);

    // As the endpoint reports it, which it does as soon as a task of the session ends.
    const listed = await waitFor(async () => {
      const out = await funcx(world, ['sessions']);
      return /\ncli\s+local\s+ready\s+2\s+0\s/.test(out.stdout) && out;
    }, { what: 'session cli listed ready after 2 tasks', timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^NAME\s+ENDPOINT\s+STATE\s+TASKS\s+WAITING\s+LAST USED\s+RELEASED AFTER\n/);
    assert.match(listed.stdout, /1800 s idle\n$/);

    const ended = await funcx(world, ['sessions', 'end', 'cli']);
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(ended.stdout, 'ended session cli on local\n');
    const afterEnd = await funcx(world, ['run', join(dir, 'read.py'), '--endpoint', 'local', '--session', 'cli']);
    assert.equal(afterEnd.code, 1, 'a fresh namespace: x is gone');
    assert.match(afterEnd.stderr, /NameError/);
    assert.equal((await funcx(world, ['sessions', 'end', 'cli'])).code, 0);
  });

  test('ending a session you do not have, or naming a bad one, says what is wrong', async () => {
    const missing = await funcx(world, ['sessions', 'end', 'nothing-here']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^funcx: You have no session "nothing-here"; .* \[FUNCX_SESSION_NOT_FOUND\]\n$/);
    const bad = await funcx(world, ['run', join(dir, 'set.py'), '--endpoint', 'local', '--session', 'no spaces']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--session: "no spaces" is not a valid session name: use 1 to 64 letters/);
    const badEnd = await funcx(world, ['sessions', 'end', '../x']);
    assert.equal(badEnd.code, 2);
    const none = await waitFor(async () => {
      const out = await funcx(world, ['sessions', '--endpoint', 'local']);
      return out.stdout === 'no sessions: a task run with --session NAME starts one\n' && out;
    }, { what: 'no sessions listed', timeoutMs: 15_000, intervalMs: 200 });
    assert.equal(none.code, 0, none.stderr);
    const unknown = await funcx(world, ['sessions', '--endpoint', 'nowhere']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /FUNCX_ENDPOINT_NOT_FOUND/);
  });
});
