import { FuncxError, type BatchSubmitted, type TaskRecord, type TaskSubmission } from '@funcx/protocol';
import type { Store } from '../store/store.js';

/**
 * The tasks of a submission that exist already, by index: a client that chose its tasks' ids sends the same
 * submission again when its answer was lost (a timeout, a hub restart), and gets the tasks it made the first time
 * instead of a second copy. Undefined when the submission chose no ids. An id given twice in one submission is a
 * 400; an id of another user's task is refused without saying whose it is.
 */
export async function alreadySubmitted(store: Store, user: string, submissions: TaskSubmission[], asBatch: boolean): Promise<Map<number, TaskRecord> | undefined> {
  const where = (i: number) => (asBatch ? `tasks[${i}]: ` : '');
  const indexById = new Map<string, number>();
  for (let i = 0; i < submissions.length; i++) {
    const id = submissions[i].task_id;
    if (id === undefined) continue;
    const key = id.toLowerCase();
    const first = indexById.get(key);
    if (first !== undefined) throw new FuncxError('FUNCX_BAD_REQUEST', `${where(i)}task_id ${id} is also tasks[${first}]'s: give each task its own`);
    submissions[i] = { ...submissions[i], task_id: key };
    indexById.set(key, i);
  }
  if (indexById.size === 0) return undefined;
  const ids = [...indexById.keys()];
  const records = await store.getTasks(ids);
  const existing = new Map<number, TaskRecord>();
  for (let k = 0; k < ids.length; k++) {
    const record = records[k];
    if (!record) continue;
    const i = indexById.get(ids[k])!;
    if (record.owner !== user) throw new FuncxError('FUNCX_TASK_ID_TAKEN', `${where(i)}a task with id ${ids[k]} exists already: give this task a fresh UUID`);
    existing.set(i, record);
  }
  return existing;
}

/** The batch the earlier tasks of a submission sent again belong to, so the new ones join it. */
export function earlierBatchId(existing: Map<number, TaskRecord> | undefined): string | undefined {
  if (existing) for (const record of existing.values()) if (record.batch_id) return record.batch_id;
  return undefined;
}

/** The answer to a submission that was sent in full before. */
export function answerAgain(existing: Map<number, TaskRecord>, count: number): BatchSubmitted {
  return { batch_id: earlierBatchId(existing) ?? '', task_ids: Array.from({ length: count }, (_, i) => existing.get(i)!.task_id) };
}
