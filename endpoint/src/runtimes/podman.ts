import { clientEnv, ociRunArgs, type ContainerOptions } from './oci.js';
import type { ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

/**
 * podman, run by the daemon with a configuration of the endpoint's own (podman-config.ts). fds 3 and 4 reach
 * the worker through `--preserve-fds 2`; stdout and stderr are the worker's own (`--log-driver passthrough`,
 * nothing copied or logged on the way); the container's host pid goes to a file outside every mount, so the
 * daemon measures and kills the container's processes directly.
 */
export class PodmanRuntime implements ContainerRuntime {
  readonly kind: 'podman' | 'podman-hpc' = 'podman';
  readonly binary: string = 'podman';
  readonly install: string = 'install it with apt-get install podman runc (or your distribution\'s podman package)';
  readonly keepsProcessTree = false;

  constructor(
    protected readonly options: ContainerOptions,
    /** CONTAINERS_CONF and CONTAINERS_STORAGE_CONF of the endpoint's podman (podman-config.ts). */
    protected readonly configEnv: NodeJS.ProcessEnv = {},
  ) {}

  protected get executable(): string {
    return this.options.executable ?? this.binary;
  }

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const extra = ['--preserve-fds', '2', '--log-driver', 'passthrough', '--pidfile', spec.pidFile];
    const own = { ...env, ...this.configEnv };
    return {
      command: this.executable,
      args: ociRunArgs(spec, this.options, this.kind, extra),
      env: clientEnv(spec, own),
      cwd: spec.workdir,
      container: {
        image: spec.image,
        name: spec.name,
        detached: true,
        pidFile: spec.pidFile,
        removeCommand: [this.executable, 'rm', '--force', '--time', '0', '--ignore', spec.name],
        env: own,
      },
    };
  }
}
