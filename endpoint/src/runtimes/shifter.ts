import { checkVolumePath, type ContainerOptions } from './oci.js';
import type { ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

/**
 * NERSC's shifter: `shifter --image=docker:IMAGE`, the mounts as `--volume`, the worker's variables through its
 * environment (shifter keeps the client's). Shifter has no network namespace and no read-only flag for a
 * volume: the config check refuses `container_network: none` with it, and docs/containers.md says the rest.
 */
export class ShifterRuntime implements ContainerRuntime {
  readonly kind = 'shifter';
  readonly binary = 'shifter';
  readonly install = 'shifter is installed by the site (https://github.com/NERSC/shifter): ask its administrators';
  readonly keepsProcessTree = false;

  constructor(private readonly options: ContainerOptions) {}

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const image = /^(docker|custom|local):/.test(spec.image) ? spec.image : `docker:${spec.image}`;
    const args = [`--image=${image}`, `--workdir=${spec.workdir}`];
    for (const mount of spec.mounts) {
      args.push(`--volume=${checkVolumePath(mount.source, this.kind)}:${checkVolumePath(mount.target, this.kind)}`);
    }
    args.push(...this.options.options, '--', ...spec.command);
    return {
      command: this.options.executable ?? this.binary,
      args,
      env: { ...spec.env, PATH: env.PATH },
      cwd: spec.workdir,
      container: { image: spec.image, name: spec.name, detached: false, env },
    };
  }
}
