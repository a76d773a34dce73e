import { clientEnv, ociRunArgs, type ContainerOptions } from './oci.js';
import type { ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

/**
 * docker: the container is started by the docker daemon, which cannot receive the client's fds 3 and 4, so the
 * worker speaks over its stdin and stdout instead (`-i`, worker flag `--stdio`; what it writes to fd 1 itself
 * then arrives as stderr). The docker daemon must run on this machine: the mounts are paths here.
 */
export class DockerRuntime implements ContainerRuntime {
  readonly kind = 'docker';
  readonly binary = 'docker';
  readonly install = 'install docker (https://docs.docker.com/engine/install/) and run its daemon on this machine';
  readonly keepsProcessTree = false;

  constructor(private readonly options: ContainerOptions) {}

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const executable = this.options.executable ?? this.binary;
    const withStdio = { ...spec, command: [...spec.command, '--stdio'] };
    return {
      command: executable,
      args: ociRunArgs(withStdio, this.options, this.kind, ['--interactive', '--log-driver', 'none']),
      env: clientEnv(spec, env),
      cwd: spec.workdir,
      channel: 'stdio',
      container: {
        image: spec.image,
        name: spec.name,
        detached: true,
        pidCommand: [executable, 'inspect', '--format', '{{.State.Pid}}', spec.name],
        removeCommand: [executable, 'rm', '--force', spec.name],
        env,
      },
    };
  }
}
