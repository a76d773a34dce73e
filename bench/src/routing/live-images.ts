import { execFileSync } from 'node:child_process';
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, testImages } from '@funcx/testing';

/** Several image names for the live routing bench, each a real image the endpoints can start containers of. */
export interface BenchImages {
  /** The images the measured tasks name. */
  names: string[];
  /** One more, which no measured task names: warming it empties the pools between runs. */
  reset: string;
  /** The container part of an endpoint's config.yaml for an endpoint of this many workers. */
  endpointConfig(workers: number): Record<string, unknown>;
  /** Removes the names made for the bench. */
  remove(): void;
}

const nameOf = (index: number) => `localhost/funcx-bench-${index}:latest`;

/**
 * N image names over the test image (scripts/build-image.sh): for bubblewrap, references in a directory of its
 * own pointing at the image's root file system; for podman, tags in the image store the endpoints read. Every
 * name is a separate image to the endpoint (its own warm containers), with the same contents.
 */
export function benchImages(runtime: 'bwrap' | 'podman', count: number): BenchImages {
  const images = testImages();
  if (typeof images === 'string') throw new Error(`the bench's images cannot be built here: ${images}`);
  const all = Array.from({ length: count + 1 }, (_, i) => nameOf(i + 1));
  const warm = (workers: number) => ({ max_warm_containers: workers, warm_mode: 'soft' });
  if (runtime === 'bwrap') {
    const rootfs = realpathSync(join(images.imageDir, images.python));
    const dir = makeTempDir('funcx-bench-images-');
    mkdirSync(join(dir, 'localhost'));
    for (const name of all) symlinkSync(rootfs, join(dir, name));
    return {
      names: all.slice(0, count),
      reset: all[count],
      endpointConfig: (workers) => ({ container_runtime: 'bwrap', container_image_dir: dir, ...warm(workers) }),
      remove: () => {},
    };
  }
  if (!images.imageStore) throw new Error('the test images were built without podman');
  const env = { ...process.env, CONTAINERS_STORAGE_CONF: join(dirname(images.imageStore), 'storage.conf') };
  execFileSync('podman', ['tag', images.python, ...all], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    names: all.slice(0, count),
    reset: all[count],
    endpointConfig: (workers) => ({
      container_runtime: 'podman',
      container_image_stores: [images.imageStore],
      container_options: ['--pull=never'],
      ...warm(workers),
    }),
    remove: () => execFileSync('podman', ['untag', images.python, ...all], { env, stdio: 'ignore' }),
  };
}
