import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { CommandIDs } from '../commands';
import { EndpointsPanel } from '../components/EndpointsPanel';
import { funcxIcon } from '../icons';
import { IDefaultEndpoint, IFuncxService } from '../tokens';

export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:sidebar',
  description: 'The Endpoints sidebar: live endpoint status and the latest tasks.',
  autoStart: true,
  requires: [IFuncxService, IDefaultEndpoint],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    service: IFuncxService,
    defaultEndpoint: IDefaultEndpoint,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ) => {
    const panel = new EndpointsPanel(service, defaultEndpoint, app.commands);
    app.shell.add(panel, 'left', { rank: 700 });
    restorer?.add(panel, panel.id);
    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'funcX: Show Endpoints',
      icon: funcxIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    palette?.addItem({ command: CommandIDs.openSidebar, category: 'funcX' });
  }
};
