import { ApptainerRuntime } from './apptainer.js';
import { bwrapProblem } from './bwrap.js';
import { BwrapImageRuntime } from './bwrap-image.js';
import { CustomRuntime } from './custom.js';
import { DockerRuntime } from './docker.js';
import { findProgram } from './installed.js';
import { PodmanHpcRuntime } from './podman-hpc.js';
import { PodmanRuntime } from './podman.js';
import type { ContainerRuntime, ContainerRuntimeKind } from './runtime.js';
import { ShifterRuntime } from './shifter.js';
import { SingularityRuntime } from './singularity.js';

/** What config.yaml says about containers, as the runtimes take it. */
export interface ContainerRuntimeSettings {
  kind: ContainerRuntimeKind;
  /** `container_network`. */
  network: string;
  /** `container_options`. */
  options: string[];
  /** `container_image_dir` (bwrap, apptainer, singularity). */
  imageDir?: string;
  /** `container_command` (custom). */
  command?: string | string[];
  /** CONTAINERS_CONF and CONTAINERS_STORAGE_CONF of the endpoint's podman (podman, custom). */
  podmanEnv?: NodeJS.ProcessEnv;
}

/** The runtime config.yaml names; throws (with the field) when its settings cannot make one. */
export function createContainerRuntime(settings: ContainerRuntimeSettings): ContainerRuntime {
  const options = { network: settings.network, options: settings.options };
  switch (settings.kind) {
    case 'podman':
      return new PodmanRuntime(options, settings.podmanEnv);
    case 'podman-hpc':
      return new PodmanHpcRuntime(options);
    case 'docker':
      return new DockerRuntime(options);
    case 'apptainer':
      return new ApptainerRuntime({ ...options, imageDir: settings.imageDir });
    case 'singularity':
      return new SingularityRuntime({ ...options, imageDir: settings.imageDir });
    case 'shifter':
      return new ShifterRuntime(options);
    case 'bwrap':
      return new BwrapImageRuntime({ ...options, imageDir: settings.imageDir });
    case 'custom':
      if (settings.command === undefined) {
        throw new Error('container_runtime custom needs container_command, e.g. container_command: "podman run --rm --preserve-fds 2 {mounts} {image} {command}"');
      }
      return new CustomRuntime(settings.command, options, settings.podmanEnv);
  }
}

/** Why the runtime cannot start containers on this machine (which program is missing, what to install), if so. */
export function containerRuntimeProblem(runtime: ContainerRuntime, path = process.env.PATH ?? ''): string | undefined {
  if (findProgram(runtime.binary, path) === undefined) {
    return `${runtime.binary} is not installed (not found on PATH): ${runtime.install}`;
  }
  if (runtime.kind === 'podman' && findProgram('runc', path) === undefined) {
    return 'podman is installed but runc, the OCI runtime the endpoint runs it with, is not: apt-get install runc';
  }
  if (runtime.kind === 'bwrap') return bwrapProblem(runtime.binary);
  return undefined;
}
