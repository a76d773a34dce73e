import { stopAll } from './processes.js';
import { removeTempDirs } from './tempdir.js';

export * from './processes.js';
export * from './tempdir.js';
export * from './wait.js';
export * from './paths.js';
export * from './hub.js';
export * from './endpoint.js';

/** Stops every process a test started and removes its temp dirs. */
export async function cleanup(): Promise<void> {
  await stopAll();
  removeTempDirs();
}
export * from './ports.js';
export * from './redis.js';
export * from './slurm.js';
export * from './images.js';
export * from './action-provider.js';
export * from './wasm.js';
export * from './tasks.js';
