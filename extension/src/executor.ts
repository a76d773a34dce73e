import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { runCell as runOnKernel, type INotebookCellExecutor, type INotebookModel } from '@jupyterlab/notebook';
import type { ICellRunner } from './tokens';
import { readDefaultEndpoint } from './default-endpoint';
import { readDefaultSession } from './default-session';
import { cellEndpoint } from './endpoint-choice';
import { storeInKernel } from './kernel-store';
import { MagicError, cellSubmission, isFuncxCell, parseFuncxMagic, sessionName, type FuncxMagic } from './magic';
import { funcxErrorOutput } from './outputs';
import { RunQueue } from './run-queue';

/**
 * Runs `%%funcx …` cells as funcX tasks (no kernel involved) and hands every other cell to JupyterLab's own
 * executor. JupyterLab asks for every cell of a Run All at once; cells run here in order all the same, each
 * after the one before has finished, and the first failure drops the cells queued behind it, as a kernel does.
 * A `%%funcx --async` cell runs at once, beside the others.
 */
export class FuncxCellExecutor implements INotebookCellExecutor {
  private readonly queues = new WeakMap<INotebookModel, RunQueue>();

  constructor(
    private readonly runner: ICellRunner,
    /** The endpoint a `%%funcx` line without one runs on (see endpoint-choice.ts). */
    private readonly lastEndpoint: () => string | null = () => runner.lastEndpoint
  ) {}

  runCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const { cell, notebook } = options;
    const source = cell.model.sharedModel.getSource();
    const funcx = cell.model.type === 'code' && isFuncxCell(source);
    if (funcx && isAsync(source)) return this.runFuncxCell(options);
    if (cell.model.type !== 'code') return this.queue(notebook).enqueue(() => runOnKernel(options), () => undefined);
    const model = cell.model as ICodeCellModel;
    const waiting = this.queue(notebook).length > 0;
    // A queued cell shows [*] while it waits, as a kernel cell does.
    if (waiting) model.executionState = 'running';
    return this.queue(notebook).enqueue(
      () => (funcx ? this.runFuncxCell(options) : runOnKernel(options)),
      () => dropped(cell)
    );
  }

  private queue(notebook: INotebookModel): RunQueue {
    let queue = this.queues.get(notebook);
    if (!queue) {
      queue = new RunQueue();
      this.queues.set(notebook, queue);
    }
    return queue;
  }

  private async runFuncxCell(options: INotebookCellExecutor.IRunCellOptions): Promise<boolean> {
    const { cell, notebook, onCellExecuted, onCellExecutionScheduled, sessionContext } = options;
    const model = cell.model as ICodeCellModel;
    onCellExecutionScheduled({ cell });
    let magic: FuncxMagic;
    try {
      magic = parseFuncxMagic(model.sharedModel.getSource());
    } catch (error) {
      if (!(error instanceof MagicError)) throw error;
      writeMagicError(model, error);
      onCellExecuted({ cell, success: false });
      return false;
    }
    const output = magic.output;
    const defaultSession = magic.session === undefined ? readDefaultSessionOf(notebook) : undefined;
    if (defaultSession instanceof MagicError) {
      writeMagicError(model, defaultSession);
      onCellExecuted({ cell, success: false });
      return false;
    }
    const success = await this.runner.run({
      cell: model,
      notebook,
      endpoint: cellEndpoint(magic.endpoint, readDefaultEndpoint(notebook), this.lastEndpoint()),
      submission: cellSubmission(magic, defaultSession),
      label: firstCodeLine(magic.body),
      ...(output ? { storeAs: { name: output, store: result => storeInKernel(sessionContext, output, result) } } : {})
    });
    onCellExecuted({ cell, success });
    return success;
  }
}

/** The notebook's default session, or what is wrong with the name its metadata holds. */
function readDefaultSessionOf(notebook: INotebookModel | null | undefined): string | undefined | MagicError {
  const written = readDefaultSession(notebook);
  if (written === null) return undefined;
  try {
    return sessionName(written);
  } catch (error) {
    if (!(error instanceof MagicError)) throw error;
    return new MagicError(`The notebook's default session (its metadata funcx.session) is not one: ${error.message}`);
  }
}

/** A bad `%%funcx` line, as the cell's error output: the same whichever way the cell was run. */
export function writeMagicError(model: ICodeCellModel, error: MagicError): void {
  model.sharedModel.transact(() => model.clearExecution(), false);
  model.outputs.add(funcxErrorOutput('FuncxMagicError', error.message));
}

function isAsync(source: string): boolean {
  try {
    return parseFuncxMagic(source).async === true;
  } catch {
    return false;
  }
}

/** A cell dropped because one before it failed: no prompt, no outputs, as a kernel leaves an aborted cell. */
function dropped(cell: Cell): void {
  if (cell.model.type !== 'code' || cell.isDisposed) return;
  const model = cell.model as ICodeCellModel;
  model.sharedModel.transact(() => model.clearExecution(), false);
  model.executionState = 'idle';
}

function firstCodeLine(source: string): string {
  const lines = source.split('\n').map(l => l.trim()).filter(l => l && !l.startsWith('#'));
  const line = lines.find(l => !/^(import|from)\s/.test(l)) ?? lines[0] ?? '';
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}
