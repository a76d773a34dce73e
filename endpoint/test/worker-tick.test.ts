import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WORKER_SCRIPT } from '../src/worker-launch.js';
import { PYTHON } from './support/manager.js';

const SCRIPT = fileURLToPath(new URL('../../test/python/tick_during_run.py', import.meta.url));

test("a tick at any point of starting a task never reports it started at an earlier task's time", () => {
  const output = execFileSync(PYTHON, ['-B', SCRIPT, dirname(WORKER_SCRIPT)], { encoding: 'utf8', timeout: 60_000 });
  const { ts0, started } = JSON.parse(output) as { ts0: number; started: number[] };
  for (const ts of started) assert.equal(ts, ts0, `the task was reported started at ${ts}, before its start ${ts0}`);
});
