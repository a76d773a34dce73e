import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { footerText, readRunRecord } from './run-record';

const FOOTER_CLASS = 'funcx-CellFooter';

/**
 * The line under a remote cell's outputs: where and how it last ran (from `funcx.run`), or what its run waits
 * for right now (`note`, e.g. the hub while it is unreachable).
 */
export function updateFooter(cell: Cell, note: string | null): void {
  const record = cell.model.type === 'code' ? readRunRecord(cell.model as ICodeCellModel) : null;
  let footer = cell.node.querySelector<HTMLElement>(`:scope > .${FOOTER_CLASS}`);
  if (!record && !note) {
    footer?.remove();
    return;
  }
  if (!footer) {
    footer = document.createElement('div');
    footer.className = FOOTER_CLASS;
    footer.setAttribute('role', 'status');
    cell.node.appendChild(footer);
  }
  footer.textContent = note ?? footerText(record!);
  footer.dataset.kind = note ? 'note' : 'ran';
  if (record) {
    footer.dataset.taskId = record.task_id;
    footer.dataset.endpoint = record.endpoint ?? '';
    footer.dataset.attempt = String(record.attempt);
    footer.title = `Task ${record.task_id} on ${record.endpoint ?? record.endpoint_id ?? 'an endpoint'}`;
  }
}
