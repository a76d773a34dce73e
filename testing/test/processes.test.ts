import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawnProcess, stopAll, waitFor, withTimeout } from '../src/index.js';

after(stopAll);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('waitForOutput resolves on a matching line and rejects with the output when the process exits first', async () => {
  const child = spawnProcess(process.execPath, ['-e', 'console.log("listening on http://127.0.0.1:4321"); setTimeout(() => {}, 200)']);
  const match = await child.waitForOutput(/listening on (\S+)/, { timeoutMs: 5_000 });
  assert.equal(match[1], 'http://127.0.0.1:4321');
  await assert.rejects(child.waitForOutput(/never printed/, { timeoutMs: 5_000 }), /exited \(exit code 0\) before printing/);
});

test('waitForOutput gives up after its timeout', async () => {
  const child = spawnProcess(process.execPath, ['-e', 'setTimeout(() => {}, 10000)']);
  await assert.rejects(child.waitForOutput(/ready/, { timeoutMs: 200 }), /did not print \/ready\/ within 200 ms/);
  await child.stop();
});

test('stop ends a process that ignores SIGTERM, and what it started, by pid', async () => {
  const script = `
    const { spawn } = require('node:child_process');
    process.on('SIGTERM', () => {});
    const grandchild = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log('grandchild ' + grandchild.pid);
    setInterval(() => {}, 1000);`;
  const child = spawnProcess(process.execPath, ['-e', script]);
  const grandchild = Number((await child.waitForOutput(/grandchild (\d+)/))[1]);
  const status = await withTimeout(child.stop(300), 5_000, 'stop');
  assert.equal(status.signal, 'SIGKILL');
  await waitFor(() => !alive(grandchild), { timeoutMs: 5_000, what: 'the grandchild to be gone' });
});
