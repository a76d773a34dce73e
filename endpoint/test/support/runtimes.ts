import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeTempDir, podmanProblem, testImages } from '@funcx/testing';
import type { ManagerOptions } from '../../src/manager.js';
import {
  BwrapImageRuntime,
  BwrapRuntime,
  bwrapProblem,
  PodmanRuntime,
  writePodmanConfig,
  type PodmanConfig,
} from '../../src/runtimes/index.js';
import type { ContainerPoolOptions } from '../../src/worker-pool.js';

/** One way of running workers that a suite runs its tests under. */
export interface RuntimeVariant {
  name: string;
  /** Why it cannot run here: the suite is skipped with this. */
  skip?: string;
  /** Manager options that run the workers this way (call only when not skipped). */
  options(): Partial<ManagerOptions>;
  /** Removes what the variant left (its podman run directory). */
  cleanup(): void;
}

/** An endpoint's own podman (configuration and storage under a temp dir) taking images from the test store. */
export function testPodman(): PodmanConfig {
  const images = testImages();
  if (typeof images === 'string') throw new Error(images);
  return writePodmanConfig(makeTempDir('funcx-podman-test-'), [images.imageStore!]);
}

/**
 * Removes a test podman's run directory and its configuration and storage. Its containers are gone by then, but
 * podman's own clean-up of the last one may still be writing in the run directory for a moment.
 */
export function removePodman(podman: PodmanConfig): void {
  const patiently = { recursive: true, force: true, maxRetries: 20, retryDelay: 100 };
  rmSync(podman.runDir, patiently);
  rmSync(dirname(podman.dir), patiently);
}

/** Pool options for containers of the test image under podman. */
export function podmanContainers(podman: PodmanConfig, extra: Partial<ContainerPoolOptions> = {}): ContainerPoolOptions {
  const images = testImages();
  if (typeof images === 'string') throw new Error(images);
  return {
    runtime: new PodmanRuntime({ network: 'host', options: ['--pull=never'] }, podman.env),
    defaultImage: images.python,
    endpointId: 'test',
    ...extra,
  };
}

/** Pool options for containers of the test image under bubblewrap, over its unpacked root file system. */
export function bwrapContainers(extra: Partial<ContainerPoolOptions> = {}, imageDir?: string): ContainerPoolOptions {
  const images = testImages();
  if (typeof images === 'string') throw new Error(images);
  return {
    runtime: new BwrapImageRuntime({ network: 'host', options: [], imageDir: imageDir ?? images.imageDir }),
    defaultImage: images.python,
    endpointId: 'test',
    ...extra,
  };
}

function imagesProblem(): string | undefined {
  const images = testImages();
  return typeof images === 'string' ? images : undefined;
}

/**
 * The ways the worker suites run: a plain process, bubblewrap on the host's root, and workers in containers of
 * the test image (podman, and bubblewrap over the image's root file system). Each suite runs the same tests
 * under every one that can run here.
 */
export function runtimeVariants(): RuntimeVariant[] {
  let podman: PodmanConfig | undefined;
  return [
    { name: 'plain process', options: () => ({}), cleanup: () => {} },
    {
      name: 'bubblewrap',
      skip: bwrapProblem(),
      options: () => ({ runtime: new BwrapRuntime({ hide: [], network: true }) }),
      cleanup: () => {},
    },
    {
      name: 'podman container',
      skip: podmanProblem(),
      options: () => ({ containers: podmanContainers((podman = testPodman())) }),
      cleanup: () => {
        if (podman) removePodman(podman);
      },
    },
    {
      name: 'bubblewrap container',
      skip: bwrapProblem() ?? imagesProblem(),
      options: () => ({ containers: bwrapContainers() }),
      cleanup: () => {},
    },
  ];
}
