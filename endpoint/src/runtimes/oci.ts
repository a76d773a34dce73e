import type { ContainerSpec } from './runtime.js';

/** What the config says about every container, whatever runs it. */
export interface ContainerOptions {
  /** config `container_network`: `--network` for runtimes that take one (none, host, or a network's name). */
  network: string;
  /** config `container_options`: extra argv entries, placed before the image. */
  options: string[];
  /** The program to run, when not the runtime's usual name on PATH. */
  executable?: string;
}

/** Variables a container's client needs for itself; a worker's own value of one goes on the command line. */
const CLIENT_VARIABLES = new Set(['PATH', 'HOME', 'TMPDIR']);

/** Throws unless `path` can be written in a `SOURCE:TARGET:MODE` volume argument. */
export function checkVolumePath(path: string, runtime: string): string {
  if (path.includes(':') || path.includes(',') || path.includes('\n')) {
    throw new Error(`${runtime} cannot bind-mount ${JSON.stringify(path)}: a path with ":" or "," cannot be written as a volume`);
  }
  return path;
}

/**
 * `run` arguments in the dialect podman, podman-hpc and docker share: a fresh container removed on exit, its
 * root file system read-only, no capabilities, the mounts, the scratch directory as working directory, the
 * worker's variables by name only (the client hands on its own value, so none appears on a command line),
 * then the config's options, the image and the worker's command, each one argv entry.
 */
export function ociRunArgs(spec: ContainerSpec, options: ContainerOptions, runtime: string, extra: string[]): string[] {
  const args = ['run', '--rm', '--name', spec.name];
  for (const [key, value] of Object.entries(spec.labels)) args.push('--label', `${key}=${value}`);
  args.push('--read-only', '--cap-drop', 'all', '--security-opt', 'no-new-privileges');
  args.push('--network', options.network);
  for (const mount of spec.mounts) {
    const source = checkVolumePath(mount.source, runtime);
    const target = checkVolumePath(mount.target, runtime);
    args.push('--volume', `${source}:${target}:${mount.readOnly ? 'ro' : 'rw'}`);
  }
  args.push('--workdir', spec.workdir);
  for (const [name, value] of Object.entries(spec.env)) {
    args.push('--env', CLIENT_VARIABLES.has(name) ? `${name}=${value}` : name);
  }
  args.push(...extra, ...options.options, '--', spec.image, ...spec.command);
  return args;
}

/** The client's environment: its own variables, then the worker's (which `--env NAME` hands on). */
export function clientEnv(spec: ContainerSpec, own: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...spec.env };
  for (const name of CLIENT_VARIABLES) delete env[name];
  return { ...env, ...own };
}
