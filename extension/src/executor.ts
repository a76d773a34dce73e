import type { ICodeCellModel } from '@jupyterlab/cells';
import { runCell as runOnKernel, type INotebookCellExecutor } from '@jupyterlab/notebook';
import type { ICellRunner } from './tokens';
import { readDefaultEndpoint } from './default-endpoint';
import { cellEndpoint } from './endpoint-choice';
import { MagicError, isFuncxCell, parseFuncxMagic } from './magic';
import { funcxErrorOutput } from './outputs';

/**
 * Runs `%%funcx [ENDPOINT | group:NAME | A,B] [--policy P] [--timeout S]` cells as funcX tasks (no kernel involved) and hands every other
 * cell to JupyterLab's own executor.
 */
export class FuncxCellExecutor implements INotebookCellExecutor {
  constructor(private readonly runner: ICellRunner) {}

  runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const { cell } = options;
    if (cell.model.type !== 'code' || !isFuncxCell(cell.model.sharedModel.getSource())) {
      return runOnKernel(options);
    }
    return this.runFuncxCell(options);
  }

  private async runFuncxCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const { cell, notebook, onCellExecuted, onCellExecutionScheduled } = options;
    const model = cell.model as ICodeCellModel;
    onCellExecutionScheduled({ cell });
    let magic;
    try {
      magic = parseFuncxMagic(model.sharedModel.getSource());
    } catch (error) {
      if (!(error instanceof MagicError)) throw error;
      model.sharedModel.transact(() => model.clearExecution(), false);
      model.outputs.add(funcxErrorOutput('FuncxMagicError', error.message));
      onCellExecuted({ cell, success: false });
      return false;
    }
    const success = await this.runner.run({
      cell: model,
      notebook,
      endpoint: cellEndpoint(magic.endpoint, readDefaultEndpoint(notebook)),
      submission: { source: magic.body, timeout_s: magic.timeoutS, ...(magic.policy ? { policy: magic.policy } : {}) },
      label: firstCodeLine(magic.body)
    });
    onCellExecuted({ cell, success });
    return success;
  }
}

function firstCodeLine(source: string): string {
  const lines = source.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'));
  const line = lines.find(l => !/^(import|from)\s/.test(l)) ?? lines[0] ?? '';
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}
