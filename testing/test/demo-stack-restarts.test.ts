import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, repoRoot, spawnProcess, stopAll, waitFor, type ManagedProcess } from '../src/index.js';

/**
 * `./scripts/start.sh` keeps JupyterLab up when the hub or an endpoint exits, says so, and starts the part that
 * died again: a scientist's notebook, kernel and outputs survive a hub crash.
 */

let stack: ManagedProcess;
let home: string;
let runDir: string;
let hubUrl: string;
let labUrl: string;

/** The pid start.sh recorded last under `name` (a restart records the new one after the old). */
function recordedPid(name: string): number {
  const lines = readFileSync(join(runDir, 'pids'), 'utf8').trim().split('\n');
  const pid = lines.map((line) => line.split(' ')).filter(([what]) => what === name).pop()?.[1];
  assert.ok(pid, `start.sh recorded a pid for ${name}`);
  return Number(pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function online(endpoint: string): Promise<boolean> {
  const token = JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')).token as string;
  const response = await fetch(`${hubUrl}/v1/endpoints/${endpoint}`, { headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
  return !!response?.ok && ((await response.json()) as { status?: { online?: boolean } }).status?.online === true;
}

before(async () => {
  home = makeTempDir('funcx-stack-home-');
  runDir = makeTempDir('funcx-stack-run-');
  const hubPort = await freePort();
  const labPort = await freePort();
  hubUrl = `http://127.0.0.1:${hubPort}`;
  labUrl = `http://127.0.0.1:${labPort}`;
  stack = spawnProcess('bash', [join(repoRoot, 'scripts/start.sh')], {
    name: 'scripts/start.sh',
    cwd: repoRoot,
    env: { ...process.env, FUNCX_HOME: home, FUNCX_HUB_PORT: String(hubPort), FUNCX_LAB_PORT: String(labPort), FUNCX_RUN_DIR: runDir },
  });
  await stack.waitForOutput(/Press Ctrl-C to stop everything/, { timeoutMs: 240_000 });
});

after(async () => {
  // start.sh stops its parts one after another, which takes longer than stopAll's grace before SIGKILL: a
  // start.sh killed half way would leave the detached hub and endpoints it started again running.
  if (!stack.exitStatus) {
    stack.signal('SIGTERM');
    await stack.waitForExit(60_000).catch(() => undefined);
  }
  await stopAll();
});

describe('the demo stack when a part of it dies', () => {
  it('start.sh says that the hub or an endpoint that exits is started again', () => {
    assert.match(stack.output, /The hub or an endpoint that exits is started again; JupyterLab stays up\./);
  });

  it('the hub killed: JupyterLab stays up, start.sh says so and starts the hub again, and the endpoints come back', async () => {
    const lab = recordedPid('jupyterlab');
    const from = stack.output.length;
    process.kill(recordedPid('hub'), 'SIGKILL');
    await stack.waitForOutput(/the hub exited \(log: \.run\/hub\.log\); JupyterLab stays up; starting the hub again/, { from, timeoutMs: 15_000 });
    await stack.waitForOutput(/hub back on /, { from, timeoutMs: 30_000 });
    assert.ok(alive(lab), 'JupyterLab is still running');
    assert.equal((await fetch(`${labUrl}/api/status`)).ok, true);
    await waitFor(() => online('local'), { timeoutMs: 30_000, intervalMs: 300, what: 'endpoint local online at the restarted hub' });
  });

  it('an endpoint killed (its daemon and the supervisor that would restart it): start.sh starts it again', async () => {
    const from = stack.output.length;
    const before = recordedPid('endpoint-cloud');
    process.kill(recordedPid('endpoint-cloud-supervisor'), 'SIGKILL');
    process.kill(before, 'SIGKILL');
    await stack.waitForOutput(/endpoint cloud exited .*; JupyterLab stays up; starting it again/, { from, timeoutMs: 15_000 });
    await stack.waitForOutput(/endpoint cloud started again \(pid \d+\)/, { from, timeoutMs: 30_000 });
    assert.notEqual(recordedPid('endpoint-cloud'), before);
    await waitFor(() => online('cloud'), { timeoutMs: 30_000, intervalMs: 300, what: 'endpoint cloud online again' });
    assert.ok(alive(recordedPid('jupyterlab')), 'JupyterLab is still running');
  });

  it('Ctrl-C (SIGTERM) then stops every part, the ones started again included', async () => {
    const pids = readFileSync(join(runDir, 'pids'), 'utf8').trim().split('\n').map((line) => Number(line.split(' ')[1]));
    stack.signal('SIGTERM');
    await stack.waitForExit(60_000);
    await waitFor(() => pids.every((pid) => !alive(pid)), { timeoutMs: 15_000, intervalMs: 200, what: 'every process start.sh recorded to be gone' });
  });
});
