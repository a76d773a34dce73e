import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IStatusBar } from '@jupyterlab/statusbar';
import { CommandIDs } from '../commands';
import { StatusItem } from '../components/StatusItem';
import { IFuncxService } from '../tokens';

export const statusBarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:status-bar',
  description: 'Shows the funcX hub connection and running tasks in the status bar.',
  autoStart: true,
  requires: [IFuncxService, IStatusBar],
  activate: (app: JupyterFrontEnd, service: IFuncxService, statusBar: IStatusBar) => {
    const item = new StatusItem(service, () => void app.commands.execute(CommandIDs.openSidebar));
    statusBar.registerStatusItem('@funcx/jupyterlab:status-bar', { item, align: 'left', rank: 50 });
  }
};
