import type { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, Notification, type ICommandPalette } from '@jupyterlab/apputils';
import type { Cell } from '@jupyterlab/cells';
import type { ILauncher } from '@jupyterlab/launcher';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { CallArgumentsError, formatCallArguments, parseCallArguments, type CallArguments } from './call-arguments';
import { CellActions } from './cell-actions';
import { trackCellDecorations } from './cell-decorations';
import { readCellFunction } from './cell-function';
import { pickEndpoint } from './components/EndpointPicker';
import { followContextMenu } from './context-target';
import { chooseEndpoint } from './endpoint-choice';
import { readDefaultSession, writeDefaultSession } from './default-session';
import { funcxIcon } from './icons';
import { MagicError, isFuncxCell, parseFuncxMagic, sessionName } from './magic';
import { endpointMapIcon } from './map/icon';
import type { ICellRunner, IDefaultEndpoint, IEndpointMap, IFuncxService } from './tokens';

/** Every command id of the extension. */
export namespace CommandIDs {
  export const registerCell = 'funcx:register-cell';
  export const updateFunction = 'funcx:update-function';
  export const runCellOnEndpoint = 'funcx:run-cell-on-endpoint';
  export const runCellOnLastEndpoint = 'funcx:run-cell-on-last-endpoint';
  export const callFunction = 'funcx:call-function';
  export const openSidebar = 'funcx:open-sidebar';
  export const openMap = 'funcx:open-map';
  export const reconnect = 'funcx:reconnect';
  export const openSettings = 'funcx:open-settings';
  export const showTaskCell = 'funcx:show-task-cell';
  export const clearTasks = 'funcx:clear-tasks';
  export const setNotebookSession = 'funcx:set-notebook-session';
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

/** The commands of the cell context menu, in its order (the funcX main menu lists them too). */
export const CELL_COMMANDS = [
  CommandIDs.registerCell,
  CommandIDs.updateFunction,
  CommandIDs.runCellOnEndpoint,
  CommandIDs.runCellOnLastEndpoint,
  CommandIDs.callFunction
];

/** Registers every command, and puts them in the palette, the cell context menu and the launcher. */
export function registerCommands(app: JupyterFrontEnd, context: CommandContext): void {
  const { commands } = app;
  const { service, runner, notebooks, defaultEndpoint, map, palette, launcher } = context;
  const actions = new CellActions(service, runner);

  commands.addCommand(CommandIDs.reconnect, {
    label: 'funcX: Reconnect to the Hub',
    icon: funcxIcon,
    execute: () => service.reconnect()
  });
  commands.addCommand(CommandIDs.openSettings, {
    label: 'funcX: Hub Settings',
    icon: funcxIcon,
    execute: () => commands.execute('settingeditor:open', { query: 'funcX' })
  });
  commands.addCommand(CommandIDs.openSidebar, {
    label: 'funcX: Show Endpoints',
    icon: funcxIcon,
    execute: () => app.shell.activateById(SIDEBAR_ID)
  });
  commands.addCommand(CommandIDs.clearTasks, {
    label: 'funcX: Clear Finished Tasks',
    icon: funcxIcon,
    execute: () => service.tasks.clearFinished()
  });
  commands.addCommand(CommandIDs.showTaskCell, {
    label: 'funcX: Show the Cell of a Task',
    icon: funcxIcon,
    isEnabled: args => typeof args['taskId'] === 'string' && !!service.tasks.get(args['taskId'] as string)?.cell_id,
    execute: args => {
      const cellId = service.tasks.get(args['taskId'] as string)?.cell_id;
      const found = cellId ? findCell(notebooks, cellId) : null;
      if (!found) {
        Notification.info('funcX: the cell of this task is not open any more.', { autoClose: 4000 });
        return;
      }
      const { panel, index } = found;
      app.shell.activateById(panel.id);
      panel.content.activeCellIndex = index;
      panel.content.deselectAll();
      void panel.content.scrollToCell(panel.content.widgets[index], 'center');
      focusNotebook(panel);
    }
  });
  commands.addCommand(CommandIDs.setNotebookSession, {
    label: "funcX: Set the Notebook's Session",
    caption: '%%funcx cells that name no --session run in this session, sharing their names (empty: a fresh namespace each)',
    icon: funcxIcon,
    isEnabled: () => !!notebooks.currentWidget?.model,
    execute: async () => {
      const panel = notebooks.currentWidget;
      if (!panel?.model) return;
      const answer = await askSession(readDefaultSession(panel.model));
      if (answer !== null) {
        writeDefaultSession(panel.model, answer || null);
        Notification.info(
          answer ? `funcX: %%funcx cells of this notebook that name no session now run in session ${answer}.` : 'funcX: %%funcx cells of this notebook now run in a fresh namespace each.',
          { autoClose: 4000 }
        );
      }
      focusNotebook(panel);
    }
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
  const hasFunction = () => {
    const cell = activeCodeCell();
    return !!cell && readCellFunction(cell.model) !== null;
  };
  /** Where a run goes without a choice made for it (endpoint-choice.ts): the cell's line, the default, the last. */
  const ruleEndpoint = (): string | null => {
    const cell = activeCodeCell();
    let named: string | undefined;
    const source = cell?.model.sharedModel.getSource() ?? '';
    try {
      if (isFuncxCell(source)) named = parseFuncxMagic(source).endpoint;
    } catch {
      named = undefined;
    }
    return chooseEndpoint(named, defaultEndpoint.current, runner.lastEndpoint) ?? null;
  };

  /** Runs `action` on the active code cell of the current notebook, then gives the notebook its focus back. */
  const onActiveCell = async (action: (panel: NotebookPanel, cell: Cell) => Promise<unknown>): Promise<void> => {
    const panel = notebooks.currentWidget;
    const cell = activeCodeCell();
    if (!panel || !cell) return;
    const running = action(panel, cell);
    await running.finally(() => focusNotebook(panel));
  };

  commands.addCommand(CommandIDs.registerCell, {
    label: 'Register cell as function…',
    caption: 'Register this cell (or the one function it defines) as a funcX function',
    icon: funcxIcon,
    isEnabled: hasCodeCell,
    execute: () => onActiveCell((_, cell) => actions.register(cell))
  });

  commands.addCommand(CommandIDs.updateFunction, {
    label: 'Update registered function',
    caption: "Register the cell's current code again under its function's name",
    icon: funcxIcon,
    isEnabled: hasFunction,
    isVisible: hasFunction,
    execute: () => onActiveCell((_, cell) => actions.update(cell))
  });

  commands.addCommand(CommandIDs.runCellOnEndpoint, {
    label: 'Run cell on endpoint…',
    caption: 'Choose an endpoint and run this cell (or its registered function) there',
    icon: funcxIcon,
    isEnabled: hasCodeCell,
    execute: () =>
      onActiveCell(async (panel, cell) => {
        if (!actions.checkLine(cell)) return;
        const endpoint = await pickEndpoint(service, ruleEndpoint());
        if (endpoint) await actions.run(panel, cell, endpoint);
      })
  });

  commands.addCommand(CommandIDs.runCellOnLastEndpoint, {
    label: () => {
      const name = ruleEndpoint();
      return name ? `Run cell on ${name}` : 'Run cell on endpoint (choose one)';
    },
    caption: "Run this cell where the cell's %%funcx line, the notebook's default or the last run says",
    icon: funcxIcon,
    isEnabled: hasCodeCell,
    execute: () =>
      onActiveCell(async (panel, cell) => {
        if (!actions.checkLine(cell)) return;
        const endpoint = ruleEndpoint() ?? (await pickEndpoint(service, null));
        if (endpoint) await actions.run(panel, cell, endpoint);
      })
  });

  commands.addCommand(CommandIDs.callFunction, {
    label: 'Call function with arguments…',
    caption: "Call the cell's registered function with arguments, on the endpoint the rule chooses",
    icon: funcxIcon,
    isEnabled: hasFunction,
    isVisible: hasFunction,
    execute: () =>
      onActiveCell(async (panel, cell) => {
        const fn = readCellFunction(cell.model);
        if (!fn) return;
        const args = await askArguments(fn.function_name, fn.arguments);
        if (!args) return;
        const endpoint = ruleEndpoint() ?? (await pickEndpoint(service, null));
        if (endpoint) await actions.run(panel, cell, endpoint, args);
      })
  });

  const relabel = () => commands.notifyCommandChanged(CommandIDs.runCellOnLastEndpoint);
  runner.endpointUsed.connect(relabel);
  defaultEndpoint.changed.connect(relabel);
  notebooks.activeCellChanged.connect(relabel);

  // The notebook's stop button (and Kernel > Interrupt) also stops the notebook's funcX tasks.
  commands.commandExecuted.connect((_, args) => {
    if (args.id !== 'notebook:interrupt-kernel' && args.id !== 'kernelmenu:interrupt') return;
    const model = notebooks.currentWidget?.model;
    if (model) void runner.cancelNotebook(model);
  });

  followContextMenu(notebooks);
  trackCellDecorations(notebooks, runner, cell => void actions.update(cell));

  app.contextMenu.addItem({ type: 'separator', selector: CODE_CELL, rank: 20 });
  CELL_COMMANDS.forEach((command, i) => {
    app.contextMenu.addItem({ command, selector: CODE_CELL, rank: 20.1 + i / 10 });
  });
  const paletteCommands = [
    ...CELL_COMMANDS,
    CommandIDs.openSidebar,
    ...(map ? [CommandIDs.openMap] : []),
    CommandIDs.clearTasks,
    CommandIDs.setNotebookSession,
    CommandIDs.reconnect,
    CommandIDs.openSettings
  ];
  for (const command of paletteCommands) palette?.addItem({ command, category: 'funcX' });
}

/** Asks for the notebook's session until the name is one ("" for none); null when the user cancels. */
async function askSession(current: string | null): Promise<string | null> {
  let text = current ?? '';
  let problem = '';
  for (;;) {
    const answer = await InputDialog.getText({
      title: "The Notebook's Session",
      label: `${problem ? `${problem}. ` : ''}Session of the %%funcx cells that name none (empty: each runs in a fresh namespace)`,
      text,
      placeholder: 'analysis'
    });
    if (!answer.button.accept || answer.value === null) return null;
    text = answer.value.trim();
    if (text === '') return '';
    try {
      return sessionName(text);
    } catch (error) {
      if (!(error instanceof MagicError)) throw error;
      problem = error.message;
    }
  }
}

/** Asks for call arguments until they parse or the user cancels. */
async function askArguments(functionName: string, last: CallArguments | undefined): Promise<CallArguments | null> {
  let text = last ? formatCallArguments(last) : '';
  let problem = '';
  for (;;) {
    const answer = await InputDialog.getText({
      title: `Call ${functionName}`,
      label: `${problem ? `${problem}. ` : ''}Arguments, as in a call: 14, "text", scale=2.5`,
      text,
      placeholder: '14, scale=2.5'
    });
    if (!answer.button.accept || answer.value === null) return null;
    text = answer.value;
    try {
      return parseCallArguments(text);
    } catch (error) {
      if (!(error instanceof CallArgumentsError)) throw error;
      problem = error.message;
    }
  }
}

function findCell(notebooks: INotebookTracker, cellId: string): { panel: NotebookPanel; index: number } | null {
  let found: { panel: NotebookPanel; index: number } | null = null;
  notebooks.forEach(panel => {
    if (found) return;
    const index = panel.content.widgets.findIndex(cell => cell.model.id === cellId);
    if (index !== -1) found = { panel, index };
  });
  return found;
}

/** Puts the keyboard back in the notebook (command mode) once a command is done with it. */
function focusNotebook(panel: NotebookPanel): void {
  if (panel.isDisposed) return;
  panel.content.mode = 'command';
  panel.content.activate();
}
