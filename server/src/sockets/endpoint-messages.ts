import type { ValidateFunction } from 'ajv';
import { MAX_JSON_DEPTH, jsonDepth, type EndpointLoad, type WarmImage } from '@funcx/protocol';
import { describeValidationErrors } from '../schemas.js';

/** One report an endpoint sent that the hub could not accept, and why. */
export interface RejectedReport {
  /** The task it named, when it named one by a valid id. */
  taskId?: string;
  reason: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why a report cannot be accepted (too deep, or not of its schema), or undefined when it can. */
export function reportProblem(item: unknown, validate: ValidateFunction, event: string): string | undefined {
  if (jsonDepth(item, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return `${event} item nests more than ${MAX_JSON_DEPTH} levels deep`;
  if (!validate(item)) return describeValidationErrors(validate.errors, `${event} item`);
  return undefined;
}

/** The valid items of a batch (the batch itself when all are valid), and the others with their reasons. */
export function checkReports<T>(batch: unknown, validate: ValidateFunction, event: string): { items: T[]; rejected: RejectedReport[] } {
  if (!Array.isArray(batch)) return { items: [], rejected: [{ reason: `${event} takes an array` }] };
  let items: T[] | undefined;
  const rejected: RejectedReport[] = [];
  for (let i = 0; i < batch.length; i++) {
    const item: unknown = batch[i];
    const reason = reportProblem(item, validate, event);
    if (reason === undefined) {
      items?.push(item as T);
      continue;
    }
    items ??= batch.slice(0, i) as T[];
    const taskId = (item as { task_id?: unknown } | null)?.task_id;
    rejected.push(typeof taskId === 'string' && UUID.test(taskId) ? { taskId: taskId.toLowerCase(), reason } : { reason });
  }
  return { items: items ?? (batch as T[]), rejected };
}

const MAX_WARM_IMAGES = 256;
const MAX_IMAGE_NAME = 512;
const MAX_COUNT = 1e9;

/** An endpoint's load as the hub keeps it: counts are whole and bounded, at most 256 images named in 512 characters. */
export function asLoad(value: unknown): EndpointLoad {
  const load = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<keyof EndpointLoad, unknown>>;
  const count = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.min(MAX_COUNT, Math.max(0, Math.floor(n))) : 0);
  const images = Array.isArray(load.warm_images) ? load.warm_images : [];
  const warm: WarmImage[] = [];
  for (const entry of images) {
    if (warm.length === MAX_WARM_IMAGES) break;
    const { image, workers, idle } = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<Record<keyof WarmImage, unknown>>;
    if (typeof image !== 'string' || image.length > MAX_IMAGE_NAME || /[\u0000-\u001f\u007f]/.test(image)) continue;
    const total = count(workers);
    warm.push({ image, workers: total, idle: Math.min(total, count(idle)) });
  }
  return {
    workers_total: count(load.workers_total),
    workers_busy: count(load.workers_busy),
    queued: count(load.queued),
    running: count(load.running),
    warm_images: warm,
  };
}

/** Whether two loads differ in anything a client shows. */
export function loadChanged(a: EndpointLoad, b: EndpointLoad): boolean {
  if (a.workers_total !== b.workers_total || a.workers_busy !== b.workers_busy || a.queued !== b.queued || a.running !== b.running) return true;
  if (a.warm_images.length !== b.warm_images.length) return true;
  for (let i = 0; i < a.warm_images.length; i++) {
    const x = a.warm_images[i];
    const y = b.warm_images[i];
    if (x.image !== y.image || x.workers !== y.workers || x.idle !== y.idle) return true;
  }
  return false;
}
