import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { registerCommands } from '../commands';
import { ICellRunner, IDefaultEndpoint, IEndpointMap, IFuncxService } from '../tokens';

/** Every command of the extension, in the palette, the cell context menu and the launcher. */
export const commandsPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:commands',
  description: 'Commands to register cells as funcX functions, run them on endpoints, and open the views.',
  autoStart: true,
  requires: [IFuncxService, ICellRunner, INotebookTracker, IDefaultEndpoint],
  optional: [IEndpointMap, ICommandPalette, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    service: IFuncxService,
    runner: ICellRunner,
    notebooks: INotebookTracker,
    defaultEndpoint: IDefaultEndpoint,
    map: IEndpointMap | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null
  ) => {
    registerCommands(app, { service, runner, notebooks, defaultEndpoint, map, palette, launcher });
  }
};
