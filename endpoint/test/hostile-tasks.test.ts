import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { JsonValue, TaskRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, waitFor, type EndpointProcess, type HubProcess } from '@funcx/testing';
import { bwrapProblem } from '../src/runtimes/index.js';
import { fiveStrays, processesWith, uniqueMarker } from './support/stray-processes.js';

/**
 * Tasks that attack the endpoint that runs them, each against a real hub, a real daemon and real workers: every
 * test asserts the attack is contained.
 */
describe('hostile tasks are contained', { skip: bwrapProblem() }, () => {
  let hub: HubProcess;
  let alice: HubClient;
  let bob: HubClient;
  /** Public, under bubblewrap: where other users' tasks run. */
  let sandboxed: EndpointProcess;
  /** Private, no sandbox, under its supervisor. */
  let bare: EndpointProcess;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-hostile-') });
    const bobToken = await hub.addUser('bob');
    [sandboxed, bare] = await Promise.all([
      startEndpoint(hub, { name: 'shared', workers: 2, public: true, config: { sandbox: 'bwrap' } }),
      startEndpoint(hub, { name: 'bare', workers: 2, supervised: true, config: { sandbox: 'none' } }),
    ]);
    alice = new HubClient({ hubUrl: hub.url, token: hub.token });
    bob = new HubClient({ hubUrl: hub.url, token: bobToken });
  });
  after(cleanup);

  const submit = async (client: HubClient, endpoint: string, source: string, extra: { args?: JsonValue[]; timeout_s?: number } = {}) =>
    (await client.submit({ source, endpoint, ...extra })).task_id;
  const finished = (client: HubClient, taskId: string, timeoutMs = 60_000): Promise<TaskRecord> =>
    waitFor(
      async () => {
        const task = await client.getTask(taskId);
        return ['success', 'failed', 'cancelled'].includes(task.state) && task;
      },
      { what: `task ${taskId} finished`, timeoutMs, intervalMs: 50 },
    ) as Promise<TaskRecord>;
  const run = async (client: HubClient, endpoint: string, source: string, extra?: { args?: JsonValue[]; timeout_s?: number }) =>
    finished(client, await submit(client, endpoint, source, extra));

  test("a task cannot read FUNCX_HOME's credentials or any endpoint's config, nor sees FUNCX_* variables", async () => {
    const source = [
      'import glob, os',
      'def read(path):',
      '    try:',
      '        return open(path).read()',
      '    except OSError as exc:',
      '        return type(exc).__name__',
      'home = HOME',
      '{"credentials": read(home + "/credentials.json"),',
      ' "configs": glob.glob(home + "/endpoints/*/config.yaml") + glob.glob(home + "/**/*.yaml", recursive=True),',
      ' "variables": sorted(name for name in os.environ if name.upper().startswith("FUNCX"))}',
    ].join('\n').replace('HOME', JSON.stringify(hub.funcxHome));
    const done = await run(alice, 'shared', source);
    assert.equal(done.state, 'success', JSON.stringify(done.error));
    assert.deepEqual(done.result?.value, { credentials: 'FileNotFoundError', configs: [], variables: [] });
    assert.ok(!JSON.stringify(done).includes(hub.token), 'the user token appears nowhere in what came back');
  });

  test("a task cannot rewrite its endpoint's config", async () => {
    const path = join(sandboxed.dir, 'config.yaml');
    const before = readFileSync(path, 'utf8');
    const source = [
      'import os',
      `path = ${JSON.stringify(path)}`,
      'try:',
      '    os.makedirs(os.path.dirname(path), exist_ok=True)',
      '    open(path, "w").write("hub_url: http://attacker.example\\n")',
      '    outcome = "wrote somewhere"',
      'except OSError as exc:',
      '    outcome = type(exc).__name__',
      'outcome',
    ].join('\n');
    assert.equal((await run(alice, 'shared', source)).state, 'success');
    assert.equal(readFileSync(path, 'utf8'), before, 'config.yaml is as it was');
    assert.equal((await run(alice, 'shared', '"still configured"')).result?.value, 'still configured');
  });

  test("a worker alice tampered with never runs bob's task on a public endpoint", async () => {
    const tamper = [
      'import sys, time',
      'main = sys.modules["__main__"]',
      'original = type(main.WORKER).run',
      'def run(self, message):',
      '    open("/tmp/stolen", "a").write(repr(message) + "\\n")',
      '    return original(self, message)',
      'type(main.WORKER).run = run',
      'main.TAMPERED_BY = "alice"',
      'time.sleep(0.5)',
    ].join('\n');
    const tampered = await Promise.all([submit(alice, 'shared', tamper), submit(alice, 'shared', tamper)]);
    for (const id of tampered) assert.equal((await finished(alice, id)).state, 'success');
    const check = 'import os, sys\n[getattr(sys.modules["__main__"], "TAMPERED_BY", "nobody"), os.path.exists("/tmp/stolen")]';
    const done = await run(bob, sandboxed.endpointId, check);
    assert.equal(done.state, 'success', JSON.stringify(done.error));
    assert.deepEqual(done.result?.value, ['nobody', false]);
  });

  test('a completion forged on fd 4 for another running task does not complete it', async () => {
    const victim = await submit(alice, 'shared', 'import time\ntime.sleep(1.5)\n"real"');
    const forge = [
      'import json, os, time',
      'line = {"t": "ok", "i": VICTIM, "ts0": 0, "ts1": 0, "r": {"value": "forged", "data": {"text/plain": "forged"}}}',
      'os.write(4, (json.dumps(line) + "\\n").encode())',
      'time.sleep(5)',
    ].join('\n').replace('VICTIM', JSON.stringify(victim));
    const forger = await run(alice, 'shared', forge);
    assert.equal(forger.error?.ename, 'WorkerProtocolError');
    const real = await finished(alice, victim);
    assert.equal(real.state, 'success');
    assert.equal(real.result?.value, 'real');
  });

  test('a line on fd 4 that is not JSON, or nests 100,000 deep, fails only its task', async () => {
    const daemon = sandboxed.daemonPid();
    for (const line of ['"not json', `{"t":"o","x":${'['.repeat(100_000)}`]) {
      const done = await run(alice, 'shared', `import os, time\nos.write(4, ${JSON.stringify(line + '\n')}.encode())\ntime.sleep(5)`);
      assert.equal(done.error?.ename, 'WorkerProtocolError');
    }
    assert.equal((await run(alice, 'shared', '"serving"')).result?.value, 'serving');
    assert.equal(sandboxed.daemonPid(), daemon, 'the same daemon');
  });

  test('the children a task leaves behind are killed at its timeout', async () => {
    const marker = uniqueMarker();
    const done = await run(alice, 'shared', fiveStrays(marker), { timeout_s: 3 });
    assert.equal(done.error?.evalue, 'timed out after 3 s');
    await waitFor(() => processesWith(marker).length === 0, { what: `no process with ${marker}`, timeoutMs: 10_000 });
  });

  test('an 8 GiB allocation fails as a MemoryError and the endpoint serves on', async () => {
    const done = await run(alice, 'shared', 'block = bytearray(8 * 1024 ** 3)');
    assert.equal(done.error?.ename, 'MemoryError');
    assert.equal((await run(alice, 'shared', '"after"')).result?.value, 'after');
  });

  test("killing the worker's parent (its reaper) leaves the daemon running", async () => {
    const daemon = bare.daemonPid();
    const done = await run(alice, 'bare', 'import os\nos.kill(os.getppid(), 9)');
    assert.ok(done.state === 'success' || done.error?.ename === 'WorkerDied', JSON.stringify(done.error));
    assert.equal((await run(alice, 'bare', '"next"')).result?.value, 'next');
    assert.equal(bare.daemonPid(), daemon, 'the same daemon');
  });

  test('a task that kills its daemon twice fails with EndpointKilled; the task beside it succeeds', async () => {
    // Both workers ready (a heartbeat sent since now says so), so the two tasks run side by side.
    const since = Date.now();
    await waitFor(async () => {
      const { status } = await bare.view();
      return status.workers_total === 2 && (status.last_heartbeat ?? 0) > since;
    }, { what: 'two workers ready at bare' });
    const daemon = bare.daemonPid();
    const innocent = await submit(alice, 'bare', 'import time\ntime.sleep(2)\n"innocent"');
    await waitFor(async () => (await alice.getTask(innocent)).state === 'running', { what: 'the innocent task running' });
    const poison = await submit(
      alice,
      'bare',
      [
        'import os, time',
        'time.sleep(0.5)',
        'def parent(pid):',
        '    return int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])',
        '# The worker\'s parent is its reaper; the reaper\'s is its manager; the manager\'s is the daemon.',
        'os.kill(parent(parent(os.getppid())), 9)',
      ].join('\n'),
    );
    const killed = await finished(alice, poison, 120_000);
    assert.equal(killed.state, 'failed');
    assert.equal(killed.error?.ename, 'EndpointKilled');
    assert.equal(killed.error?.evalue, "this task killed its endpoint's daemon twice; it is not run again");
    const spared = await finished(alice, innocent, 60_000);
    assert.equal(spared.state, 'success', JSON.stringify(spared.error));
    assert.equal(spared.result?.value, 'innocent');
    assert.notEqual(bare.daemonPid(), daemon, 'the daemon was restarted');
    assert.match(bare.process!.output, new RegExp(`go back uncharged: .*${innocent}`), 'hello lists the innocent task as uncharged');
  });
});
