import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Manager } from '../src/manager.js';
import { runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

const BASICS = ['HOME', 'LANG', 'LC_ALL', 'MPLBACKEND', 'PATH', 'PYTHONUNBUFFERED', 'TMPDIR', 'TZ'];

describe("what a worker's environment and directories hold", () => {
  let manager: Manager;
  let recorder: Recorder;
  const saved = { ...process.env };

  before(async () => {
    Object.assign(process.env, { FUNCX_TOKEN: 'fx_secret', FUNCX_HOME: '/somewhere', CLOUD_SECRET_KEY: 'k', SITE_LICENSE: 'abc' });
    ({ manager, recorder } = await startManager({
      size: 1,
      env: { set: { OMP_NUM_THREADS: '1' }, passthrough: ['SITE_LICENSE'] },
    }));
  });
  after(async () => {
    await manager.stop();
    for (const key of ['FUNCX_TOKEN', 'FUNCX_HOME', 'CLOUD_SECRET_KEY', 'SITE_LICENSE']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  test("a task sees none of the daemon's variables but the basics and what the config names", async () => {
    const done = await runToEnd(manager, recorder, 'import os\ndict(os.environ)');
    const env = done.result?.value as Record<string, string>;
    assert.deepEqual(
      Object.keys(env).filter((name) => !BASICS.includes(name)).sort(),
      ['OMP_NUM_THREADS', 'SITE_LICENSE'],
    );
    assert.equal(env.SITE_LICENSE, 'abc');
    assert.equal(env.PYTHONUNBUFFERED, '1');
  });

  test('each task starts in an empty directory outside FUNCX_HOME, and what one task leaves there the next does not see', async () => {
    const leave = 'import os\nopen("left.txt", "w").write("x")\nos.mkdir("sub")\n[os.getcwd(), sorted(os.listdir("."))]';
    const first = (await runToEnd(manager, recorder, leave)).result?.value as [string, string[]];
    assert.deepEqual(first[1], ['left.txt', 'sub']);
    assert.ok(first[0].startsWith(tmpdir()), `${first[0]} is under the OS temp dir`);
    const second = (await runToEnd(manager, recorder, 'import os\n[os.getcwd(), os.listdir(".")]')).result?.value as [string, string[]];
    assert.equal(second[0], first[0]);
    assert.deepEqual(second[1], []);
  });

  test('a task that changed directory starts the next one back in its own', async () => {
    await runToEnd(manager, recorder, 'import os\nos.chdir("/")');
    const cwd = (await runToEnd(manager, recorder, 'import os\nos.getcwd()')).result?.value as string;
    assert.notEqual(cwd, '/');
  });

  test("HOME is the worker's scratch directory, and it goes when the worker goes", async () => {
    const home = (await runToEnd(manager, recorder, 'import os\nos.environ["HOME"]')).result?.value as string;
    const cwd = (await runToEnd(manager, recorder, 'import os\nos.getcwd()')).result?.value as string;
    assert.ok(cwd.startsWith(home + '/'), `the task directory ${cwd} is inside HOME ${home}`);
    assert.equal((await runToEnd(manager, recorder, 'import os, time\ntime.sleep(5)', { timeout_s: 0.3 })).error?.ename, 'TimeoutError');
    await runToEnd(manager, recorder, 'None');
    assert.equal(existsSync(home), false, `${home} was removed with its worker`);
  });
});
