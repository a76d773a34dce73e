import type { Cell } from '@jupyterlab/cells';
import { isStale, readCellFunction } from './cell-function';

const BADGE_CLASS = 'funcx-CellBadge';
const HAS_FUNCTION_CLASS = 'funcx-mod-function';
const STALE_CLASS = 'funcx-mod-stale';

/**
 * Shows "ƒ NAME" on a cell registered as a function, and "ƒ NAME · edited" once the cell's code differs from
 * what was registered; clicking a stale badge calls `onUpdate` (register the cell's code again).
 */
export function updateBadge(cell: Cell, onUpdate?: (cell: Cell) => void): void {
  const fn = readCellFunction(cell.model);
  const host = cell.inputArea?.node;
  if (!host) return;
  let badge = host.querySelector<HTMLButtonElement>(`:scope > .${BADGE_CLASS}`);
  if (!fn) {
    badge?.remove();
    cell.removeClass(HAS_FUNCTION_CLASS);
    return;
  }
  if (!badge) {
    badge = document.createElement('button');
    badge.type = 'button';
    badge.className = BADGE_CLASS;
    host.appendChild(badge);
  }
  const stale = isStale(cell.model, fn);
  cell.addClass(HAS_FUNCTION_CLASS);
  badge.classList.toggle(STALE_CLASS, stale);
  badge.textContent = stale ? `ƒ ${fn.function_name} · edited` : `ƒ ${fn.function_name}`;
  badge.title = stale
    ? `The cell changed since ${fn.function_name} was registered: click to update the function`
    : `Registered funcX function ${fn.function_name} (${fn.function_id})`;
  badge.disabled = !stale;
  badge.dataset.functionId = fn.function_id;
  badge.dataset.functionName = fn.function_name;
  badge.dataset.stale = String(stale);
  badge.onclick = stale && onUpdate ? () => onUpdate(cell) : null;
}
