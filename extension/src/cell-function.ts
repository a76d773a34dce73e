import type { ICellModel } from '@jupyterlab/cells';
import type { CallArguments } from './call-arguments';
import { cellCode } from './magic';

/** Cell metadata key holding the registered function `{ function_id, function_name, source_hash }`. */
export const CELL_METADATA_KEY = 'funcx';

export interface CellFunction {
  function_id: string;
  function_name: string;
  /** Hash of the code that was registered: the cell is stale when its code hashes otherwise. */
  source_hash?: string;
  /** The arguments it was last called with from the notebook. */
  arguments?: CallArguments;
}

export function readCellFunction(cell: ICellModel): CellFunction | null {
  const value = cell.getMetadata(CELL_METADATA_KEY) as Partial<CellFunction> | undefined;
  if (typeof value?.function_id !== 'string' || !value.function_id) return null;
  return {
    function_id: value.function_id,
    function_name: value.function_name ?? value.function_id,
    ...(typeof value.source_hash === 'string' ? { source_hash: value.source_hash } : {}),
    ...(value.arguments ? { arguments: value.arguments } : {})
  };
}

export function writeCellFunction(cell: ICellModel, fn: Partial<CellFunction>): void {
  const existing = (cell.getMetadata(CELL_METADATA_KEY) as object | undefined) ?? {};
  cell.setMetadata(CELL_METADATA_KEY, { ...existing, ...fn });
}

/** Whether the cell's code is no longer what was registered (only known for cells registered with a hash). */
export function isStale(cell: ICellModel, fn: CellFunction): boolean {
  return fn.source_hash !== undefined && fn.source_hash !== sourceHash(cellCode(cell.sharedModel.getSource()));
}

/** FNV-1a over the code's UTF-16 units, as 8 hex digits: enough to notice an edit, not a security check. */
export function sourceHash(code: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) {
    hash ^= code.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
