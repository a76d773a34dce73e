import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The files and directories of one endpoint's own podman configuration. */
export interface PodmanConfig {
  dir: string;
  containersConf: string;
  storageConf: string;
  /** Images and containers (podman's graphroot). */
  storage: string;
  /** Podman's run state and temporary files: a short path, because conmon's sockets live below it. */
  runDir: string;
  /** CONTAINERS_CONF and CONTAINERS_STORAGE_CONF: what the endpoint's podman runs with. */
  env: { CONTAINERS_CONF: string; CONTAINERS_STORAGE_CONF: string };
}

/**
 * conmon's attach socket is created below podman's run root, and a socket path longer than 108 bytes fails
 * (podman then waits 20 s for a container to exit); run roots up to about 50 characters were seen to work.
 */
const MAX_RUN_DIR = 40;

function toml(value: string): string {
  return JSON.stringify(value);
}

/** Where an endpoint's podman configuration lives, from the endpoint's directory (nothing is written). */
export function podmanConfigPaths(endpointDir: string): PodmanConfig {
  const dir = join(endpointDir, 'podman');
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 12);
  const inTemp = join(tmpdir(), `funcx-podman-${hash}`);
  const runDir = inTemp.length <= MAX_RUN_DIR ? inTemp : `/tmp/funcx-podman-${hash}`;
  const containersConf = join(dir, 'containers.conf');
  const storageConf = join(dir, 'storage.conf');
  return {
    dir,
    containersConf,
    storageConf,
    storage: join(dir, 'storage'),
    runDir,
    env: { CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf },
  };
}

/**
 * Writes the endpoint's podman configuration, so nothing of the machine's own (/etc/containers,
 * /var/lib/containers, /run/libpod) is read for engine or storage settings or written: runc as the OCI runtime
 * (crun needs CAP_SYS_RESOURCE for its rlimits, which a container host does not always grant), explicit
 * ulimits, overlay storage in the endpoint's directory, and read-only image stores to take images from
 * (config `container_image_stores`, e.g. the one scripts/build-image.sh fills).
 */
export function writePodmanConfig(endpointDir: string, imageStores: string[] = []): PodmanConfig {
  const config = podmanConfigPaths(endpointDir);
  mkdirSync(config.dir, { recursive: true, mode: 0o700 });
  mkdirSync(config.runDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    config.containersConf,
    [
      '# written by the funcX endpoint at each start: its own podman settings (docs/containers.md)',
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=8192:8192"]',
      '[engine]',
      'runtime = "runc"',
      `tmp_dir = ${toml(join(config.runDir, 'tmp'))}`,
      'events_logger = "none"',
      '',
    ].join('\n'),
  );
  writeFileSync(
    config.storageConf,
    [
      '# written by the funcX endpoint at each start: its own podman storage (docs/containers.md)',
      '[storage]',
      'driver = "overlay"',
      `graphroot = ${toml(config.storage)}`,
      `runroot = ${toml(join(config.runDir, 'run'))}`,
      '[storage.options]',
      `additionalimagestores = [${imageStores.map(toml).join(', ')}]`,
      // No private bind mount of the storage directory over itself: it would outlive podman and keep the
      // endpoint's folder from being removed.
      '[storage.options.overlay]',
      'skip_mount_home = "true"',
      '',
    ].join('\n'),
  );
  return config;
}
