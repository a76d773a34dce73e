import type { INotebookTracker } from '@jupyterlab/notebook';

/**
 * Right-clicking a cell makes it the active cell before the context menu opens, so the menu's commands act
 * on (and are enabled for) the cell clicked, not the one active before. A right click inside the current
 * selection keeps it, as in a file browser.
 */
export function followContextMenu(notebooks: INotebookTracker): () => void {
  const onContextMenu = (event: MouseEvent) => {
    const target = event.target as Node | null;
    if (!target) return;
    const panel = notebooks.find(candidate => candidate.node.contains(target));
    if (!panel) return;
    if (notebooks.currentWidget !== panel) panel.activate();
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.node.contains(target));
    if (index === -1) return;
    const cell = notebook.widgets[index];
    if (index === notebook.activeCellIndex || notebook.isSelected(cell)) return;
    notebook.deselectAll();
    notebook.activeCellIndex = index;
  };
  // Capture: before JupyterLab's own listener builds the menu and asks each command whether it is enabled.
  document.addEventListener('contextmenu', onContextMenu, true);
  return () => document.removeEventListener('contextmenu', onContextMenu, true);
}
