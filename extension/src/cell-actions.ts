import { InputDialog, Notification } from '@jupyterlab/apputils';
import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { nameProblem, type TaskSubmission } from '@funcx/protocol';
import { updateBadge } from './cell-badges';
import { isStale, readCellFunction, sourceHash, writeCellFunction, type CellFunction } from './cell-function';
import type { CallArguments } from './call-arguments';
import { writeMagicError } from './executor';
import { MagicError, cellCode, isFuncxCell, parseFuncxMagic, singleTopLevelFunction, type FuncxMagic } from './magic';
import type { ICellRunner, IFuncxService } from './tokens';

/** What the cell commands do to one cell, apart from how they are wired into JupyterLab. */
export class CellActions {
  constructor(
    private readonly service: IFuncxService,
    private readonly runner: ICellRunner
  ) {}

  /** Whether the cell's `%%funcx` line (if any) parses; when not, the cell shows why, as when run with Shift+Enter. */
  checkLine(cell: Cell): boolean {
    const model = cell.model as ICodeCellModel;
    const source = model.sharedModel.getSource();
    if (!isFuncxCell(source)) return true;
    try {
      parseFuncxMagic(source);
      return true;
    } catch (error) {
      if (!(error instanceof MagicError)) throw error;
      writeMagicError(model, error);
      return false;
    }
  }

  /**
   * Runs the cell on `endpoint`: its registered function when it has one (with `args`, else those it was last
   * called with), else its code. A bad `%%funcx` line is the cell's error, as when the cell is run with Shift+Enter.
   */
  async run(panel: NotebookPanel, cell: Cell, endpoint: string, args?: CallArguments): Promise<boolean> {
    const model = cell.model as ICodeCellModel;
    const source = model.sharedModel.getSource();
    let magic: Partial<FuncxMagic> = {};
    try {
      if (isFuncxCell(source)) magic = parseFuncxMagic(source);
    } catch (error) {
      if (!(error instanceof MagicError)) throw error;
      writeMagicError(model, error);
      return false;
    }
    const fn = readCellFunction(model);
    if (fn && isStale(model, fn)) this.warnStale(panel, cell, fn);
    const options = { timeout_s: magic.timeoutS, ...(magic.policy ? { policy: magic.policy } : {}) };
    const callWith = args ?? fn?.arguments;
    if (fn && args) writeCellFunction(model, { arguments: args });
    const submission: Omit<TaskSubmission, 'endpoint'> = fn
      ? { function_id: fn.function_id, ...options, ...(callWith ? { args: callWith.args, kwargs: callWith.kwargs } : {}) }
      : { source: cellCode(source), ...options };
    return this.runner.run({
      cell: model,
      notebook: panel.model,
      endpoint,
      submission,
      label: fn ? `ƒ ${fn.function_name}` : undefined
    });
  }

  /** Asks a name (the current one for a cell registered before) and registers the cell's code under it. */
  async register(cell: Cell): Promise<void> {
    const code = cellCode(cell.model.sharedModel.getSource());
    const entrypoint = singleTopLevelFunction(code);
    const existing = readCellFunction(cell.model);
    const answer = await InputDialog.getText({
      title: 'Register cell as function',
      label: entrypoint
        ? `Registers ${entrypoint}() from this cell. Function name:`
        : 'Registers the whole cell (it runs like a notebook cell). Function name:',
      text: existing?.function_name ?? entrypoint ?? '',
      placeholder: 'my_function'
    });
    const name = answer.value?.trim();
    if (!answer.button.accept || !name) return;
    await this.registerAs(cell, name);
  }

  /** Registers the cell's current code again under its function's name: the cell's function is updated. */
  async update(cell: Cell): Promise<void> {
    const fn = readCellFunction(cell.model);
    if (fn) await this.registerAs(cell, fn.function_name);
  }

  private async registerAs(cell: Cell, name: string): Promise<void> {
    const problem = nameProblem('function', name);
    if (problem) {
      Notification.error(`funcX: ${problem}.`);
      return;
    }
    const code = cellCode(cell.model.sharedModel.getSource());
    const entrypoint = singleTopLevelFunction(code);
    try {
      const { function_id } = await this.service.client.registerFunction({ name, source: code, entrypoint, language: 'python' });
      writeCellFunction(cell.model, { function_id, function_name: name, source_hash: sourceHash(code) });
      updateBadge(cell, target => void this.update(target));
      Notification.success(`funcX: registered function ${name} (${function_id})`, { autoClose: 4000 });
    } catch (error) {
      Notification.error(`funcX: could not register ${name}: ${(error as Error).message}`, { autoClose: false });
    }
  }

  private warnStale(panel: NotebookPanel, cell: Cell, fn: CellFunction): void {
    Notification.warning(
      `funcX: the cell changed since ${fn.function_name} was registered; this run uses the registered version.`,
      {
        autoClose: 8000,
        actions: [{ label: 'Update function', callback: () => void this.update(cell).then(() => panel.content.activate()) }]
      }
    );
  }
}
