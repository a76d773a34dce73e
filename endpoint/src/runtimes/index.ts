import { BwrapRuntime, bwrapProblem } from './bwrap.js';
import { ProcessRuntime } from './process.js';
import type { Runtime } from './runtime.js';

export type {
  ContainerHandle,
  ContainerMount,
  ContainerRuntime,
  ContainerRuntimeKind,
  ContainerSpec,
  Runtime,
  RuntimeKind,
  WorkerChannel,
  WorkerLaunch,
} from './runtime.js';
export { CONTAINER_RUNTIME_KINDS } from './runtime.js';
export { BwrapRuntime, bwrapProblem } from './bwrap.js';
export { BwrapImageRuntime } from './bwrap-image.js';
export { ProcessRuntime } from './process.js';
export { PodmanRuntime } from './podman.js';
export { PodmanHpcRuntime } from './podman-hpc.js';
export { DockerRuntime } from './docker.js';
export { ApptainerRuntime } from './apptainer.js';
export { SingularityRuntime } from './singularity.js';
export { ShifterRuntime } from './shifter.js';
export { CustomRuntime, parseCommandTemplate } from './custom.js';
export { containerRuntimeProblem, createContainerRuntime, type ContainerRuntimeSettings } from './containers.js';
export { podmanConfigPaths, writePodmanConfig, type PodmanConfig } from './podman-config.js';
export { findProgram } from './installed.js';

/** config.yaml `sandbox`: `auto` is bubblewrap where it works, else none (refused for a public endpoint). */
export const SANDBOX_SETTINGS = ['auto', 'none', 'bwrap'] as const;
export type SandboxSetting = (typeof SANDBOX_SETTINGS)[number];

export interface SandboxChoice {
  sandbox: SandboxSetting;
  /** Every user of the hub may run tasks here. */
  public: boolean;
  network: boolean;
  /** Directories a sandboxed worker must not see. */
  hide: string[];
}

/** The runtime the daemon's workers use, and why when it is not the obvious one; throws when it cannot start. */
export function chooseRuntime(
  choice: SandboxChoice,
  problem: () => string | undefined = () => bwrapProblem(),
): { runtime: Runtime; note?: string } {
  if (choice.sandbox === 'none') {
    return { runtime: new ProcessRuntime(), note: choice.public ? 'sandbox: none on a public endpoint: every user\'s tasks run unsandboxed' : undefined };
  }
  const why = problem();
  if (why === undefined) return { runtime: new BwrapRuntime({ hide: choice.hide, network: choice.network }) };
  if (choice.sandbox === 'bwrap') {
    throw new Error(`config.yaml asks for sandbox: bwrap, but ${why}: install bubblewrap (apt-get install bubblewrap) or set sandbox: auto or none`);
  }
  if (choice.public) {
    throw new Error(
      `the endpoint is public (every user of the hub may run tasks here) but no sandbox is available (${why}): ` +
        'install bubblewrap (apt-get install bubblewrap), or write "sandbox: none" in config.yaml to run them unsandboxed',
    );
  }
  return { runtime: new ProcessRuntime(), note: `no sandbox (${why}): workers run as plain processes` };
}
