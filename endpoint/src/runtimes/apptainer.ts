import { checkVolumePath, type ContainerOptions } from './oci.js';
import { hasScheme, imagePath } from './image-files.js';
import type { ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

export interface ApptainerOptions extends ContainerOptions {
  /** config `container_image_dir`: where SIF files (or sandbox directories) are found by image reference. */
  imageDir?: string;
}

/**
 * apptainer (and singularity, its older name): `exec --containall --cleanenv`, so nothing of the host but the
 * two mounts is visible (own PID and IPC namespaces, empty /tmp), and the worker's variables arrive as
 * APPTAINERENV_NAME in the client's environment, never on its command line. The worker is a child of the
 * client, so fds 3 and 4 are simply inherited.
 */
export class ApptainerRuntime implements ContainerRuntime {
  readonly kind: 'apptainer' | 'singularity' = 'apptainer';
  readonly binary: string = 'apptainer';
  readonly install: string = 'install apptainer (https://apptainer.org/docs/admin/main/installation.html)';
  readonly keepsProcessTree = false;
  /** The prefix of variables the runtime sets inside the container. */
  protected readonly envPrefix: string = 'APPTAINERENV_';

  constructor(private readonly options: ApptainerOptions) {}

  /** The image as the runtime is given it: a scheme as it is, else the file found in the image directory. */
  private resolve(image: string): string {
    if (hasScheme(image) || this.options.imageDir === undefined) return image;
    return imagePath(this.options.imageDir, image, ['.sif']) ?? image;
  }

  imageProblem(image: string): string | undefined {
    if (hasScheme(image) || this.options.imageDir === undefined) return undefined;
    if (imagePath(this.options.imageDir, image, ['.sif']) !== undefined) return undefined;
    return `no image ${image} in ${this.options.imageDir} (container_image_dir): put ${image}.sif there`;
  }

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const args = ['exec', '--containall', '--cleanenv', '--home', spec.workdir, '--pwd', spec.workdir];
    for (const mount of spec.mounts) {
      const source = checkVolumePath(mount.source, this.kind);
      const target = checkVolumePath(mount.target, this.kind);
      args.push('--bind', `${source}:${target}:${mount.readOnly ? 'ro' : 'rw'}`);
    }
    if (this.options.network === 'none') args.push('--net', '--network', 'none');
    args.push(...this.options.options, this.resolve(spec.image), ...spec.command);
    const client: NodeJS.ProcessEnv = { ...env };
    for (const [name, value] of Object.entries(spec.env)) {
      if (name !== 'HOME') client[this.envPrefix + name] = value;
    }
    return {
      command: this.options.executable ?? this.binary,
      args,
      env: client,
      cwd: spec.workdir,
      container: { image: spec.image, name: spec.name, detached: false, env },
    };
  }
}
