import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookCellExecutor } from '@jupyterlab/notebook';
import { CellRunner } from '../cell-runner';
import { FuncxCellExecutor } from '../executor';
import { ICellRunner, IFuncxService } from '../tokens';

export const runnerPlugin: JupyterFrontEndPlugin<ICellRunner> = {
  id: '@funcx/jupyterlab:runner',
  description: 'Runs notebook cells as funcX tasks.',
  autoStart: true,
  provides: ICellRunner,
  requires: [IFuncxService],
  activate: (_, service: IFuncxService) => new CellRunner(service)
};

/** Replaces JupyterLab's cell executor (disabled in package.json) with one that knows `%%funcx`. */
export const executorPlugin: JupyterFrontEndPlugin<INotebookCellExecutor> = {
  id: '@funcx/jupyterlab:cell-executor',
  description: 'Runs %%funcx cells on funcX endpoints and every other cell on the kernel.',
  autoStart: true,
  provides: INotebookCellExecutor,
  requires: [ICellRunner],
  activate: (_, runner: ICellRunner) => new FuncxCellExecutor(runner)
};
