import { spawnSync } from 'node:child_process';
import { basename, dirname, isAbsolute } from 'node:path';
import type { Runtime, WorkerLaunch } from './runtime.js';

export interface BwrapOptions {
  /** Directories replaced by an empty tmpfs inside the sandbox (FUNCX_HOME, the endpoint's config dir). */
  hide: string[];
  /** false: the worker gets a network namespace of its own, with loopback only. */
  network: boolean;
  executable?: string;
}

/**
 * Each worker under bubblewrap: the whole file system read-only, the hidden directories empty, the scratch
 * directory the only one writable besides a fresh /tmp, fresh /dev and /proc, its own PID namespace (so
 * nothing it starts outlives it or sees the daemon), no capabilities, and dead with the daemon.
 */
export class BwrapRuntime implements Runtime {
  readonly kind = 'bwrap';
  readonly keepsProcessTree = true;
  private readonly executable: string;

  constructor(private readonly options: BwrapOptions) {
    this.executable = options.executable ?? 'bwrap';
  }

  wrap(worker: WorkerLaunch, scratch: string): WorkerLaunch {
    const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
    for (const dir of this.options.hide) args.push('--tmpfs', dir);
    // The worker program and its Python environment stay visible (read-only) where a fresh /tmp would cover them.
    for (const dir of programDirs(worker)) {
      if (isUnder(dir, '/tmp') && !this.options.hide.some((hidden) => isUnder(dir, hidden))) args.push('--ro-bind', dir, dir);
    }
    args.push('--bind', scratch, scratch, '--chdir', scratch);
    args.push('--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session');
    if (!this.options.network) args.push('--unshare-net');
    args.push('--', worker.command, ...worker.args);
    return { command: this.executable, args, env: worker.env, cwd: scratch };
  }
}

function isUnder(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The directories of the worker's interpreter and script (and the environment around a bin/ interpreter). */
function programDirs(worker: WorkerLaunch): string[] {
  const dirs = new Set<string>();
  for (const path of [worker.command, ...worker.args]) if (isAbsolute(path)) dirs.add(dirname(path));
  const bin = dirname(worker.command);
  if (isAbsolute(worker.command) && basename(bin) === 'bin') dirs.add(dirname(bin));
  // Outer directories first, so an inner one is not covered again by its parent's bind.
  return [...dirs].sort((a, b) => a.length - b.length).filter((dir, i, all) => !all.slice(0, i).some((outer) => isUnder(dir, outer)));
}

/** Why bubblewrap cannot run sandboxes here, or undefined when it can (one tiny sandbox is tried). */
export function bwrapProblem(executable = 'bwrap'): string | undefined {
  const probe = spawnSync(
    executable,
    ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--', 'true'],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${executable} is not installed` : probe.error.message;
  }
  if (probe.status !== 0) return `${executable} could not start a sandbox: ${probe.stderr.trim() || `exit code ${probe.status}`}`;
  return undefined;
}
