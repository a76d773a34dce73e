import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTempDir, removeTempDirs } from '@funcx/testing';
import type { Manager } from '../src/manager.js';
import { BwrapRuntime, bwrapProblem } from '../src/runtimes/index.js';
import { runToEnd, startManager } from './support/manager.js';
import type { Recorder } from './support/recorder.js';

const unavailable = bwrapProblem();

describe('workers under bubblewrap', { skip: unavailable }, () => {
  let manager: Manager;
  let recorder: Recorder;
  let offline: Awaited<ReturnType<typeof startManager>>;
  let hidden: string;

  before(async () => {
    hidden = makeTempDir('funcx-hidden-');
    mkdirSync(join(hidden, 'endpoints'));
    writeFileSync(join(hidden, 'credentials.json'), '{"token": "secret"}');
    ({ manager, recorder } = await startManager({ size: 1, runtime: new BwrapRuntime({ hide: [hidden], network: true }) }));
    offline = await startManager({ size: 1, runtime: new BwrapRuntime({ hide: [hidden], network: false }) });
  });
  after(async () => {
    await Promise.all([manager.stop(), offline.manager.stop()]);
    removeTempDirs();
  });

  test('a sandboxed worker answers on fds 3 and 4 from its own PID namespace', async () => {
    const done = await runToEnd(manager, recorder, 'import os\n[os.getpid(), sorted(int(p) for p in os.listdir("/proc") if p.isdigit())]');
    assert.equal(done.state, 'success');
    const [pid, pids] = done.result?.value as [number, number[]];
    assert.ok(pid < 10, `pid ${pid} is the sandbox's own`);
    assert.ok(pids.length <= 3, `only the sandbox's processes are visible: ${pids}`);
  });

  test('a hidden directory is empty inside the sandbox', async () => {
    const done = await runToEnd(manager, recorder, `import os\nos.listdir(${JSON.stringify(hidden)})`);
    assert.deepEqual(done.result?.value, []);
  });

  test('nothing outside the task directory and its private /tmp can be written', async () => {
    const source = [
      'import os',
      'def attempt(path):',
      '    try:',
      '        open(path, "w").write("x")',
      '        return "written"',
      '    except OSError as exc:',
      '        return type(exc).__name__',
      `[attempt("/etc/funcx-probe"), attempt(${JSON.stringify(join(process.cwd(), 'funcx-probe'))}), attempt("here.txt"), attempt("/tmp/t.txt")]`,
    ].join('\n');
    const done = await runToEnd(manager, recorder, source);
    const [etc, checkout, here, tmp] = done.result?.value as string[];
    assert.equal(etc, 'OSError');
    // A checkout under /tmp lies inside the sandbox's private /tmp: a write there may succeed, but never reaches it.
    if (checkout === 'written') assert.equal(existsSync(join(process.cwd(), 'funcx-probe')), false, 'the checkout is untouched');
    else assert.equal(checkout, 'OSError');
    assert.deepEqual([here, tmp], ['written', 'written']);
  });

  test('with sandbox_network: false a worker has only loopback', async () => {
    const done = await runToEnd(offline.manager, offline.recorder, 'sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])');
    assert.deepEqual(done.result?.value, ['lo']);
    const online = await runToEnd(manager, recorder, 'sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])');
    assert.ok((online.result?.value as string[]).length > 1, 'the default keeps the network');
  });

  test('a sandboxed task over its timeout is stopped and the worker replaced', async () => {
    const done = await runToEnd(manager, recorder, 'import time\ntime.sleep(30)', { timeout_s: 0.5 });
    assert.equal(done.error?.evalue, 'timed out after 0.5 s');
    assert.equal((await runToEnd(manager, recorder, '"after"')).result?.value, 'after');
  });
});
