import { readdirSync, readFileSync } from 'node:fs';

/** A number no other process has on its command line: `sleep MARKER` children can be found by it. */
export function uniqueMarker(): string {
  return `${4000 + Math.floor(Math.random() * 1000)}.${process.pid}${Math.floor(Math.random() * 1e6)}`;
}

/** Pids of live (not zombie) processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z') found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Python that leaves five `sleep MARKER` processes behind, each escaping in its own way: a subprocess, a fork,
 * a double fork, a double fork in a new session, and a shell's background job; then it waits.
 */
export function fiveStrays(marker: string): string {
  return [
    'import os, subprocess, time',
    `SLEEP = ["sleep", "${marker}"]`,
    'subprocess.Popen(SLEEP)',
    'if os.fork() == 0:',
    '    os.execvp("sleep", SLEEP)',
    'def detached(new_session):',
    '    if os.fork() == 0:',
    '        if new_session:',
    '            os.setsid()',
    '        if os.fork() == 0:',
    '            os.execvp("sleep", SLEEP)',
    '        os._exit(0)',
    'detached(False)',
    'detached(True)',
    `subprocess.run("sleep ${marker} &", shell=True)`,
    'print("started", flush=True)',
    'time.sleep(60)',
  ].join('\n');
}
