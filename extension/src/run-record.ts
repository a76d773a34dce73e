import type { TaskRecord, TaskRouting, TaskState } from '@funcx/protocol';
import type { ICellModel } from '@jupyterlab/cells';
import { CELL_METADATA_KEY } from './cell-function';

/** Where and how a cell last ran remotely: cell metadata `funcx.run`, saved with the notebook. */
export interface CellRunRecord {
  task_id: string;
  state: TaskState;
  /** The endpoint as the user writes it (name, or owner/name when shared), and its id. */
  endpoint?: string;
  endpoint_id?: string;
  /** The container image the task ran in (none: the endpoint's default). */
  image?: string;
  /** Which attempt produced the outputs (the hub hands a task out again when its endpoint is lost). */
  attempt: number;
  /** Unix milliseconds: when the task started running (else when the hub received it), and when it ended. */
  started?: number;
  ended?: number;
  /** Why it ran where it did, when the hub chose among several endpoints. */
  routing?: TaskRouting;
}

export function readRunRecord(cell: ICellModel): CellRunRecord | null {
  const value = cell.getMetadata(CELL_METADATA_KEY) as { run?: CellRunRecord } | undefined;
  return value?.run && typeof value.run.task_id === 'string' ? value.run : null;
}

export function writeRunRecord(cell: ICellModel, record: CellRunRecord): void {
  const existing = (cell.getMetadata(CELL_METADATA_KEY) as object | undefined) ?? {};
  cell.setMetadata(CELL_METADATA_KEY, { ...existing, run: withoutUndefined(record) });
}

/** The record of a finished task, from its record at the hub. */
export function runRecordOf(task: TaskRecord, endpoint: string | undefined): CellRunRecord {
  const times = task.timestamps;
  return {
    task_id: task.task_id,
    state: task.state,
    endpoint,
    endpoint_id: task.endpoint_id,
    image: task.container_image,
    attempt: Math.max(1, task.attempts),
    started: times.running ?? times.received,
    ended: times.success ?? times.failed ?? times.cancelled,
    routing: task.routing
  };
}

/** The footer under a remote cell's outputs: "local · 1.2 s · task 1a2b3c4d · attempt 2". */
export function footerText(record: CellRunRecord): string {
  const parts = [record.endpoint ?? record.endpoint_id?.slice(0, 8) ?? 'endpoint unknown'];
  if (record.started !== undefined && record.ended !== undefined) parts.push(seconds(record.ended - record.started));
  parts.push(`task ${record.task_id.slice(0, 8)}`);
  parts.push(`attempt ${record.attempt}`);
  if (record.image) parts.push(record.image);
  if (record.routing) parts.push(`routed by ${record.routing.policy}`);
  return parts.join(' · ');
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
