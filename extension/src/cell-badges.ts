import type { Cell } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { readCellFunction } from './cell-function';

const BADGE_CLASS = 'funcx-CellBadge';
const HAS_FUNCTION_CLASS = 'funcx-mod-function';

/** Shows "ƒ NAME" on every cell registered as a function, and keeps it in step with the cell metadata. */
export function trackCellBadges(tracker: INotebookTracker): void {
  const watch = (panel: NotebookPanel) => {
    let scheduled = 0;
    const refresh = () => {
      if (scheduled) return;
      scheduled = requestAnimationFrame(() => {
        scheduled = 0;
        if (!panel.isDisposed) panel.content.widgets.forEach(updateBadge);
      });
    };
    void panel.context.ready.then(() => {
      panel.model?.contentChanged.connect(refresh);
      panel.content.modelChanged.connect(refresh);
      panel.content.activeCellChanged.connect(refresh);
      refresh();
    });
  };
  tracker.forEach(watch);
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}

export function updateBadge(cell: Cell): void {
  const fn = readCellFunction(cell.model);
  const host = cell.inputArea?.node;
  if (!host) return;
  let badge = host.querySelector<HTMLElement>(`:scope > .${BADGE_CLASS}`);
  if (!fn) {
    badge?.remove();
    cell.removeClass(HAS_FUNCTION_CLASS);
    return;
  }
  if (!badge) {
    badge = document.createElement('div');
    badge.className = BADGE_CLASS;
    host.appendChild(badge);
  }
  cell.addClass(HAS_FUNCTION_CLASS);
  badge.textContent = `ƒ ${fn.function_name}`;
  badge.title = `Registered funcX function ${fn.function_name} (${fn.function_id})`;
  badge.dataset.functionId = fn.function_id;
  badge.dataset.functionName = fn.function_name;
}
