import type { ICellModel } from '@jupyterlab/cells';

/** Cell metadata key holding the registered function `{ function_id, function_name }`. */
export const CELL_METADATA_KEY = 'funcx';

export interface CellFunction {
  function_id: string;
  function_name: string;
}

export function readCellFunction(cell: ICellModel): CellFunction | null {
  const value = cell.getMetadata(CELL_METADATA_KEY) as Partial<CellFunction> | undefined;
  if (typeof value?.function_id !== 'string' || !value.function_id) return null;
  return { function_id: value.function_id, function_name: value.function_name ?? value.function_id };
}

export function writeCellFunction(cell: ICellModel, fn: CellFunction): void {
  const existing = (cell.getMetadata(CELL_METADATA_KEY) as object | undefined) ?? {};
  cell.setMetadata(CELL_METADATA_KEY, { ...existing, ...fn });
}
