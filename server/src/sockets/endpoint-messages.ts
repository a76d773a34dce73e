import type { ValidateFunction } from 'ajv';
import {
  BLOCK_STATES,
  MAX_JSON_DEPTH,
  MAX_REPORTED_BLOCKS,
  isValidName,
  jsonDepth,
  type BlockState,
  type BlockStatus,
  type EndpointLoad,
  type SessionStatus,
  type WarmImage,
} from '@funcx/protocol';
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
    const taskId = validTaskId(item);
    rejected.push(taskId ? { taskId: taskId.toLowerCase(), reason } : { reason });
  }
  return { items: items ?? (batch as T[]), rejected };
}

/** The task id an item of a report names, as sent, when it names one by a valid id. */
function validTaskId(item: unknown): string | undefined {
  const taskId = (item as { task_id?: unknown } | null)?.task_id;
  return typeof taskId === 'string' && UUID.test(taskId) ? taskId : undefined;
}

/** The task ids, as sent, of the items of a report batch that name one by a valid id (to refuse the batch by). */
export function reportedTaskIds(batch: unknown): string[] {
  if (!Array.isArray(batch)) return [];
  const ids: string[] = [];
  for (const item of batch) {
    const taskId = validTaskId(item);
    if (taskId) ids.push(taskId);
  }
  return ids;
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
  const bounded: EndpointLoad = {
    workers_total: count(load.workers_total),
    workers_busy: count(load.workers_busy),
    queued: count(load.queued),
    running: count(load.running),
    warm_images: warm,
  };
  if (Array.isArray(load.blocks)) bounded.blocks = asBlocks(load.blocks, count);
  if (typeof load.provider === 'string' && /^[a-z][a-z0-9-]{0,31}$/.test(load.provider)) bounded.provider = load.provider;
  if (Array.isArray(load.sessions)) bounded.sessions = asSessions(load.sessions, count);
  if (load.max_sessions !== undefined) bounded.max_sessions = count(load.max_sessions);
  if (typeof load.session_idle_s === 'number' && Number.isFinite(load.session_idle_s) && load.session_idle_s > 0) {
    bounded.session_idle_s = Math.min(load.session_idle_s, MAX_COUNT);
  }
  return bounded;
}

/** Most sessions the hub keeps of one endpoint's report. */
const MAX_REPORTED_SESSIONS = 10_000;
const SESSION_STATES = new Set(['starting', 'ready', 'busy']);

/** Sessions whose owner and name are valid names and whose state is known; times and counts bounded. */
function asSessions(entries: unknown[], count: (n: unknown) => number): SessionStatus[] {
  const sessions: SessionStatus[] = [];
  const epoch = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? Math.min(1e14, Math.max(0, n)) : 0);
  for (const entry of entries) {
    if (sessions.length === MAX_REPORTED_SESSIONS) break;
    const session = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<Record<keyof SessionStatus, unknown>>;
    const { owner, name, state } = session;
    if (typeof owner !== 'string' || !isValidName('user', owner) || typeof name !== 'string' || !isValidName('session', name)) continue;
    if (!SESSION_STATES.has(state as string)) continue;
    const bounded: SessionStatus = {
      owner,
      name,
      state: state as SessionStatus['state'],
      tasks: count(session.tasks),
      queued: count(session.queued),
      last_used: epoch(session.last_used),
      started: epoch(session.started),
    };
    if (typeof session.restarted === 'string') bounded.restarted = session.restarted.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500);
    sessions.push(bounded);
  }
  return sessions;
}

const MAX_JOB_ID = 128;

/** At most MAX_REPORTED_BLOCKS blocks, each with a printable job id of at most 128 characters and a known state. */
function asBlocks(entries: unknown[], count: (n: unknown) => number): BlockStatus[] {
  const blocks: BlockStatus[] = [];
  for (const entry of entries) {
    if (blocks.length === MAX_REPORTED_BLOCKS) break;
    const block = (typeof entry === 'object' && entry !== null ? entry : {}) as Partial<Record<keyof BlockStatus, unknown>>;
    const { job_id, state } = block;
    if (typeof job_id !== 'string' || job_id.length === 0 || job_id.length > MAX_JOB_ID || /[\u0000-\u001f\u007f]/.test(job_id)) continue;
    if (!BLOCK_STATES.includes(state as BlockState)) continue;
    const nodes = count(block.nodes);
    const workers = count(block.workers);
    blocks.push({
      job_id,
      state: state as BlockState,
      nodes,
      nodes_connected: Math.min(nodes, count(block.nodes_connected)),
      workers,
      workers_busy: Math.min(workers, count(block.workers_busy)),
    });
  }
  return blocks;
}
