import {
  FINAL_TASK_STATES,
  TASK_STATES,
  type TaskCompletion,
  type TaskOutputUpdate,
  type TaskState,
  type TaskStateUpdate,
} from '@funcx/protocol';

/**
 * Cheap shape checks of what endpoints report, run on every item of every batch (a JSON-schema pass would cost
 * more than the rest of the hot path). Items that fail are dropped, and the caller logs how many.
 */

const STATES = new Set<string>(TASK_STATES);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasTimestamps(item: Record<string, unknown>): boolean {
  return item.timestamps === undefined || isRecord(item.timestamps);
}

export function isStateUpdate(item: unknown): item is TaskStateUpdate {
  return isRecord(item) && typeof item.task_id === 'string' && STATES.has(item.state as string) && hasTimestamps(item);
}

export function isOutputUpdate(item: unknown): item is TaskOutputUpdate {
  if (!isRecord(item) || typeof item.task_id !== 'string' || !isRecord(item.output)) return false;
  const output = item.output;
  if (output.output_type === 'stream') return (output.name === 'stdout' || output.name === 'stderr') && typeof output.text === 'string';
  return output.output_type === 'display_data' && isRecord(output.data);
}

export function isCompletion(item: unknown): item is TaskCompletion {
  return (
    isRecord(item) &&
    typeof item.task_id === 'string' &&
    FINAL_TASK_STATES.has(item.state as TaskState) &&
    hasTimestamps(item) &&
    (item.result === undefined || (isRecord(item.result) && isRecord(item.result.data))) &&
    (item.error === undefined || isRecord(item.error))
  );
}

/** The valid items of a batch (the batch itself when all are valid) and how many were dropped. */
export function validItems<T>(batch: unknown, isValid: (item: unknown) => item is T): { items: T[]; dropped: number } {
  if (!Array.isArray(batch)) return { items: [], dropped: 1 };
  let valid = true;
  for (const item of batch) {
    if (!isValid(item)) {
      valid = false;
      break;
    }
  }
  if (valid) return { items: batch as T[], dropped: 0 };
  const items = batch.filter(isValid);
  return { items, dropped: batch.length - items.length };
}
