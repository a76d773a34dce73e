import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { imagePath } from './image-files.js';
import type { ContainerOptions } from './oci.js';
import type { ContainerRuntime, ContainerSpec, WorkerLaunch } from './runtime.js';

export interface BwrapImageOptions extends ContainerOptions {
  /** config `container_image_dir`: one unpacked root file system per image reference, `DIR/REFERENCE`. */
  imageDir?: string;
}

/** Top-level entries a root file system's own copy of which is never used: the sandbox makes fresh ones. */
const FRESH = new Set(['dev', 'proc', 'tmp', 'funcx']);
/** The image's PATH when the config gives none: an unpacked root file system carries no image config. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * bubblewrap over an unpacked root file system (what scripts/build-image.sh writes, or any `podman export`):
 * an empty root, each of the image's top-level directories bound read-only and its symlinks recreated, fresh
 * /dev, /proc and /tmp, the mounts, then the root remounted read-only. Its own PID namespace; dead with the
 * daemon. It starts in about as long as bubblewrap on the host's root.
 */
export class BwrapImageRuntime implements ContainerRuntime {
  readonly kind = 'bwrap';
  readonly binary = 'bwrap';
  readonly install = 'install it with apt-get install bubblewrap';
  readonly keepsProcessTree = true;
  private readonly layouts = new Map<string, string[]>();

  constructor(private readonly options: BwrapImageOptions) {}

  private root(image: string): string | undefined {
    return this.options.imageDir === undefined ? undefined : imagePath(this.options.imageDir, image);
  }

  imageProblem(image: string): string | undefined {
    if (this.options.imageDir === undefined) {
      return 'container_runtime bwrap runs unpacked root file systems: set container_image_dir to the directory that holds them';
    }
    const root = this.root(image);
    if (root === undefined || !existsSync(join(root, '.'))) {
      return `no root file system for image ${image} in ${this.options.imageDir} (container_image_dir)`;
    }
    return undefined;
  }

  /** The bind and symlink arguments that rebuild the image's top level, read once per image. */
  private layout(root: string): string[] {
    let args = this.layouts.get(root);
    if (args) return args;
    args = [];
    for (const entry of readdirSync(root).sort()) {
      if (FRESH.has(entry)) continue;
      const path = join(root, entry);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), `/${entry}`);
      else if (stat.isDirectory()) args.push('--ro-bind', path, `/${entry}`);
    }
    this.layouts.set(root, args);
    return args;
  }

  launch(spec: ContainerSpec, env: NodeJS.ProcessEnv): WorkerLaunch {
    const root = this.root(spec.image);
    if (root === undefined) throw new Error(this.imageProblem(spec.image));
    const args = ['--tmpfs', '/', ...this.layout(root), '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
    if (this.options.network !== 'none' && isFile(join(root, 'etc/resolv.conf'))) {
      args.push('--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf');
    }
    for (const mount of spec.mounts) args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.source, mount.target);
    args.push('--remount-ro', '/', '--chdir', spec.workdir);
    args.push('--unshare-pid', '--unshare-ipc', '--die-with-parent', '--new-session');
    if (this.options.network === 'none') args.push('--unshare-net');
    args.push(...this.options.options, '--', ...spec.command);
    return {
      command: this.options.executable ?? this.binary,
      args,
      env: { PATH: IMAGE_PATH, ...spec.env },
      cwd: spec.workdir,
      container: { image: spec.image, name: spec.name, detached: false, env },
    };
  }
}
