import { PodmanRuntime } from './podman.js';

/**
 * NERSC's podman-hpc: podman's command line, with podman-hpc's own storage and configuration (the endpoint
 * does not write one for it).
 */
export class PodmanHpcRuntime extends PodmanRuntime {
  override readonly kind = 'podman-hpc';
  override readonly binary = 'podman-hpc';
  override readonly install = 'podman-hpc is installed by the site (https://github.com/NERSC/podman-hpc): ask its administrators';
}
