import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { updateBadge } from './cell-badges';
import { updateFooter } from './cell-footer';
import type { ICellRunner } from './tokens';

/**
 * Keeps every cell's badge (registered function, stale once edited) and footer (where it ran, what it waits
 * for) in step with its metadata, its source and its run.
 */
export function trackCellDecorations(tracker: INotebookTracker, runner: ICellRunner, onUpdate: (cell: Cell) => void): void {
  const decorate = (cell: Cell) => {
    updateBadge(cell, onUpdate);
    updateFooter(cell, cell.model.type === 'code' ? runner.noteOf(cell.model as ICodeCellModel) : null);
  };
  const watch = (panel: NotebookPanel) => {
    let scheduled = 0;
    const refresh = () => {
      if (scheduled) return;
      scheduled = requestAnimationFrame(() => {
        scheduled = 0;
        if (!panel.isDisposed) panel.content.widgets.forEach(decorate);
      });
    };
    void panel.context.ready.then(() => {
      panel.model?.contentChanged.connect(refresh);
      panel.model?.cells.changed.connect(refresh);
      panel.content.modelChanged.connect(refresh);
      panel.content.activeCellChanged.connect(refresh);
      runner.noteChanged.connect(refresh);
      panel.disposed.connect(() => runner.noteChanged.disconnect(refresh));
      refresh();
    });
  };
  tracker.forEach(watch);
  tracker.widgetAdded.connect((_, panel) => watch(panel));
}
