import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, Notification } from '@jupyterlab/apputils';
import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { INotebookTracker } from '@jupyterlab/notebook';
import type { TaskSubmission } from '@funcx/protocol';
import { trackCellBadges, updateBadge } from '../cell-badges';
import { readCellFunction, writeCellFunction } from '../cell-function';
import type { CellRunner } from '../cell-runner';
import { CommandIDs } from '../commands';
import { pickEndpoint } from '../components/EndpointPicker';
import { preselectedEndpoint, repeatEndpoint } from '../endpoint-choice';
import { funcxIcon } from '../icons';
import { cellCode, isFuncxCell, parseFuncxMagic, singleTopLevelFunction } from '../magic';
import { ICellRunner, IDefaultEndpoint, IFuncxService } from '../tokens';

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Register / run-on-endpoint / run-on-last-endpoint, in the palette and the cell context menu. */
export const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:commands',
  description: 'Commands to register cells as funcX functions and run them on endpoints.',
  autoStart: true,
  requires: [IFuncxService, ICellRunner, INotebookTracker, IDefaultEndpoint],
  optional: [ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    service: IFuncxService,
    runner: CellRunner,
    tracker: INotebookTracker,
    defaultEndpoint: IDefaultEndpoint,
    palette: ICommandPalette | null
  ) => {
    const { commands } = app;
    const activeCodeCell = (): Cell | null => {
      const cell = tracker.currentWidget?.content.activeCell;
      return cell && cell.model.type === 'code' ? cell : null;
    };
    const hasCodeCell = () => activeCodeCell() !== null;
    const lastEndpoint = () => repeatEndpoint(runner.lastEndpoint, defaultEndpoint.current);

    const runActiveCell = async (endpoint: string): Promise<void> => {
      const panel = tracker.currentWidget;
      const cell = activeCodeCell();
      if (!panel || !cell) return;
      const source = cell.model.sharedModel.getSource();
      const fn = readCellFunction(cell.model);
      let timeout_s: number | undefined;
      try {
        timeout_s = isFuncxCell(source) ? parseFuncxMagic(source).timeoutS : undefined;
      } catch {
        timeout_s = undefined;
      }
      const submission: Omit<TaskSubmission, 'endpoint'> = fn
        ? { function_id: fn.function_id, timeout_s }
        : { source: cellCode(source), timeout_s };
      await runner.run({
        cell: cell.model as ICodeCellModel,
        notebook: panel.model,
        endpoint,
        submission,
        label: fn ? `ƒ ${fn.function_name}` : undefined
      });
    };

    commands.addCommand(CommandIDs.registerCell, {
      label: 'Register cell as function…',
      caption: 'Register this cell (or the one function it defines) as a funcX function',
      icon: funcxIcon,
      isEnabled: hasCodeCell,
      execute: async () => {
        const cell = activeCodeCell();
        if (!cell) return;
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
        if (!NAME_PATTERN.test(name)) {
          Notification.error(`"${name}" is not a valid function name: use letters, digits, _ . - (not starting with a digit).`);
          return;
        }
        try {
          const { function_id } = await service.client.registerFunction({
            name,
            source: code,
            entrypoint,
            language: 'python'
          });
          writeCellFunction(cell.model, { function_id, function_name: name });
          updateBadge(cell);
          Notification.success(`funcX: registered function ${name} (${function_id})`, { autoClose: 4000 });
        } catch (error) {
          Notification.error(`funcX: could not register ${name}: ${(error as Error).message}`, { autoClose: false });
        }
      }
    });

    commands.addCommand(CommandIDs.runCellOnEndpoint, {
      label: 'Run cell on endpoint…',
      caption: 'Choose an endpoint and run this cell (or its registered function) there',
      icon: funcxIcon,
      isEnabled: hasCodeCell,
      execute: async () => {
        const endpoint = await pickEndpoint(service, preselectedEndpoint(defaultEndpoint.current, runner.lastEndpoint));
        if (endpoint) await runActiveCell(endpoint);
      }
    });

    commands.addCommand(CommandIDs.runCellOnLastEndpoint, {
      label: () => {
        const name = lastEndpoint();
        return name ? `Run cell on ${name}` : 'Run cell on last endpoint';
      },
      caption: 'Run this cell (or its registered function) on the endpoint used last',
      isEnabled: hasCodeCell,
      execute: async () => {
        const endpoint = lastEndpoint() ?? (await pickEndpoint(service, null));
        if (endpoint) await runActiveCell(endpoint);
      }
    });

    const relabel = () => commands.notifyCommandChanged(CommandIDs.runCellOnLastEndpoint);
    runner.endpointUsed.connect(relabel);
    defaultEndpoint.changed.connect(relabel);

    // The notebook's stop button (and Kernel > Interrupt) also stops the notebook's funcX tasks.
    commands.commandExecuted.connect((_, args) => {
      if (args.id !== 'notebook:interrupt-kernel' && args.id !== 'kernelmenu:interrupt') return;
      const model = tracker.currentWidget?.model;
      if (model) void runner.cancelNotebook(model);
    });

    const cellCommands = [CommandIDs.registerCell, CommandIDs.runCellOnEndpoint, CommandIDs.runCellOnLastEndpoint];
    app.contextMenu.addItem({ type: 'separator', selector: '.jp-Notebook .jp-CodeCell', rank: 20 });
    cellCommands.forEach((command, i) => {
      app.contextMenu.addItem({ command, selector: '.jp-Notebook .jp-CodeCell', rank: 20.1 + i / 10 });
      palette?.addItem({ command, category: 'funcX' });
    });
    trackCellBadges(tracker);
  }
};
