import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs a scheduler command (sbatch, squeue, qsub, …); rejects with its own words when it fails. */
export function runScheduler(command: string, args: string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding: 'utf8', timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        const said = (stderr || stdout || '').trim() || error.message;
        return reject(new Error(`${command} ${args.join(' ')} failed: ${said}`));
      }
      resolve(stdout);
    });
  });
}

/** Writes a block's batch script (readable by its owner only: it holds the manager secret) and returns its path. */
export function writeScript(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o700 });
  return path;
}

/** The job name of a block: funcx-ENDPOINT-BLOCK, in the characters schedulers accept. */
export function jobName(endpoint: string, blockId: string): string {
  return `funcx-${endpoint}-${blockId}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 63);
}
