import { ApptainerRuntime } from './apptainer.js';

/** SingularityCE and the singularity command of older installations: apptainer's command line and prefix. */
export class SingularityRuntime extends ApptainerRuntime {
  override readonly kind = 'singularity';
  override readonly binary = 'singularity';
  override readonly install = 'install SingularityCE 3.6 or newer (https://docs.sylabs.io/guides/latest/admin-guide/)';
  protected override readonly envPrefix = 'SINGULARITYENV_';
}
