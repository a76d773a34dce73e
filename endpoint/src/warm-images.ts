import type { WarmImage } from '@funcx/protocol';
import type { WorkerProcess } from './worker-process.js';

/**
 * The warm pool as the endpoint reports it (EndpointLoad.warm_images): per image ("" for workers without a
 * container) the workers that run or are starting, and how many of them are ready and free; most workers first.
 */
export function warmImages(workers: readonly WorkerProcess[]): WarmImage[] {
  const byImage = new Map<string, WarmImage>();
  for (const worker of workers) {
    if (worker.exited || worker.retiring) continue;
    let warm = byImage.get(worker.image);
    if (!warm) byImage.set(worker.image, (warm = { image: worker.image, workers: 0, idle: 0 }));
    warm.workers++;
    if (worker.ready && worker.assigned.length === 0) warm.idle++;
  }
  return [...byImage.values()].sort((a, b) => b.workers - a.workers || a.image.localeCompare(b.image));
}
