import type { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, Notification, type ICommandPalette } from '@jupyterlab/apputils';
import type { Cell, ICodeCellModel } from '@jupyterlab/cells';
import type { ILauncher } from '@jupyterlab/launcher';
import type { INotebookTracker } from '@jupyterlab/notebook';
import { nameProblem, type TaskSubmission } from '@funcx/protocol';
import { updateBadge } from './cell-badges';
import { readCellFunction, writeCellFunction } from './cell-function';
import { pickEndpoint } from './components/EndpointPicker';
import { preselectedEndpoint, repeatEndpoint } from './endpoint-choice';
import { funcxIcon } from './icons';
import { cellCode, isFuncxCell, parseFuncxMagic, singleTopLevelFunction, type FuncxMagic } from './magic';
import { endpointMapIcon } from './map/icon';
import type { ICellRunner, IDefaultEndpoint, IEndpointMap, IFuncxService } from './tokens';

/** Every command id of the extension. */
export namespace CommandIDs {
  export const registerCell = 'funcx:register-cell';
  export const runCellOnEndpoint = 'funcx:run-cell-on-endpoint';
  export const runCellOnLastEndpoint = 'funcx:run-cell-on-last-endpoint';
  export const openSidebar = 'funcx:open-sidebar';
  export const openMap = 'funcx:open-map';
  export const reconnect = 'funcx:reconnect';
  export const openSettings = 'funcx:open-settings';
  export const openFlowRun = 'funcx:open-flow-run';
  export const listFlowRuns = 'funcx:list-flow-runs';
}

export const PLUGIN_ID = '@funcx/jupyterlab:plugin';
export const SIDEBAR_ID = 'funcx-endpoints';

/** What the commands act on. */
export interface CommandContext {
  service: IFuncxService;
  runner: ICellRunner;
  notebooks: INotebookTracker;
  defaultEndpoint: IDefaultEndpoint;
  map: IEndpointMap | null;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
}

const CODE_CELL = '.jp-Notebook .jp-CodeCell';

/** Registers every command, and puts them in the palette, the cell context menu and the launcher. */
export function registerCommands(app: JupyterFrontEnd, context: CommandContext): void {
  const { commands } = app;
  const { service, runner, notebooks, defaultEndpoint, map, palette, launcher } = context;

  commands.addCommand(CommandIDs.reconnect, {
    label: 'funcX: Reconnect to the Hub',
    execute: () => service.reconnect()
  });
  commands.addCommand(CommandIDs.openSettings, {
    label: 'funcX: Hub Settings',
    execute: () => commands.execute('settingeditor:open', { query: 'funcX' })
  });
  commands.addCommand(CommandIDs.openSidebar, {
    label: 'funcX: Show Endpoints',
    icon: funcxIcon,
    execute: () => app.shell.activateById(SIDEBAR_ID)
  });
  if (map) {
    commands.addCommand(CommandIDs.openMap, {
      label: 'Endpoint map',
      caption: 'A live world map of your funcX endpoints',
      icon: args => (args['isPalette'] ? undefined : endpointMapIcon),
      execute: () => map.open()
    });
    launcher?.add({ command: CommandIDs.openMap, category: 'funcX', rank: 1 });
  }

  const activeCodeCell = (): Cell | null => {
    const cell = notebooks.currentWidget?.content.activeCell;
    return cell && cell.model.type === 'code' ? cell : null;
  };
  const hasCodeCell = () => activeCodeCell() !== null;
  const lastEndpoint = () => repeatEndpoint(runner.lastEndpoint, defaultEndpoint.current);

  const runActiveCell = async (endpoint: string): Promise<void> => {
    const panel = notebooks.currentWidget;
    const cell = activeCodeCell();
    if (!panel || !cell) return;
    const source = cell.model.sharedModel.getSource();
    const fn = readCellFunction(cell.model);
    let magic: Partial<FuncxMagic> = {};
    try {
      if (isFuncxCell(source)) magic = parseFuncxMagic(source);
    } catch {
      magic = {};
    }
    const options = { timeout_s: magic.timeoutS, ...(magic.policy ? { policy: magic.policy } : {}) };
    const submission: Omit<TaskSubmission, 'endpoint'> = fn
      ? { function_id: fn.function_id, ...options }
      : { source: cellCode(source), ...options };
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
      const problem = nameProblem('function', name);
      if (problem) {
        Notification.error(`funcX: ${problem}.`);
        return;
      }
      try {
        const { function_id } = await service.client.registerFunction({ name, source: code, entrypoint, language: 'python' });
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
    const model = notebooks.currentWidget?.model;
    if (model) void runner.cancelNotebook(model);
  });

  const cellCommands = [CommandIDs.registerCell, CommandIDs.runCellOnEndpoint, CommandIDs.runCellOnLastEndpoint];
  app.contextMenu.addItem({ type: 'separator', selector: CODE_CELL, rank: 20 });
  cellCommands.forEach((command, i) => {
    app.contextMenu.addItem({ command, selector: CODE_CELL, rank: 20.1 + i / 10 });
  });
  for (const command of [...cellCommands, CommandIDs.openSidebar, ...(map ? [CommandIDs.openMap] : [])]) {
    palette?.addItem({ command, category: 'funcX' });
  }
}
