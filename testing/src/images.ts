import { execFileSync, spawnSync } from 'node:child_process';
import { repoRoot } from './paths.js';

/** The images scripts/build-image.sh builds, and where the endpoint finds them. */
export interface TestImages {
  /** A Debian image with python3 (localhost/funcx-python:bookworm). */
  python: string;
  /** An image without python3. */
  noPython: string;
  /** Their unpacked root file systems, one per reference: `container_image_dir` for bwrap. */
  imageDir: string;
  /** The podman image store holding them: a `container_image_stores` entry (absent without podman). */
  imageStore?: string;
}

let built: TestImages | string | undefined;

function installed(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Builds the test images, or finds them cached (scripts/build-image.sh: about 50 s the first time on a machine,
 * then a tenth of a second). Returns why they cannot be built here (no root, no debootstrap), a reason for a test
 * to skip; any other failure of the script throws.
 */
export function testImages(): TestImages | string {
  if (built !== undefined) return built;
  if (process.getuid?.() !== 0) return (built = 'building the test images needs root (debootstrap)');
  if (!installed('debootstrap')) return (built = 'debootstrap is not installed (apt-get install debootstrap)');
  const output = execFileSync(`${repoRoot}scripts/build-image.sh`, [], {
    encoding: 'utf8',
    timeout: 600_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const values = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^(FUNCX_[A-Z_]+)=(.*)$/.exec(line);
    if (match) values.set(match[1], match[2]);
  }
  built = {
    python: values.get('FUNCX_PYTHON_IMAGE')!,
    noPython: values.get('FUNCX_NOPYTHON_IMAGE')!,
    imageDir: values.get('FUNCX_IMAGE_DIR')!,
    imageStore: values.get('FUNCX_IMAGE_STORE'),
  };
  return built;
}

/** Why podman cannot run the tests' containers here, or undefined when it can. */
export function podmanProblem(): string | undefined {
  if (!installed('podman')) return 'podman is not installed (apt-get install podman runc)';
  if (!installed('runc')) return 'runc is not installed (apt-get install runc)';
  const images = testImages();
  if (typeof images === 'string') return images;
  if (!images.imageStore) return 'the test images were built without podman';
  return undefined;
}
