import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { slurmProblem, startSlurm } from '../src/slurm.js';
import { waitFor } from '../src/wait.js';

/** Pids of the processes whose command line has this text. */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('stopping a test Slurm cluster ends the jobs still running on it, not only its daemons', { skip: slurmProblem(), timeout: 90_000 }, async () => {
  const slurm = await startSlurm({ cpus: 1 });
  const spool = join(slurm.dir, 'spool');
  // A job step (srun), as the endpoint's blocks run their managers; its length marks it to be found.
  const seconds = `300.${process.pid}`;
  try {
    const submitted = spawnSync('sbatch', ['--parsable', `--output=${join(slurm.dir, 'job-%j.out')}`, '--wrap', `srun sleep ${seconds}`], { env: slurm.env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(submitted.status, 0, submitted.stderr);
    await waitFor(() => processesWith(spool).length > 0 && processesWith(seconds).length > 0, {
      what: "the job's batch script and its step running",
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  } finally {
    await slurm.stop();
  }
  assert.deepEqual([...processesWith(spool), ...processesWith(seconds)], [], 'no process of the job is left');
});
