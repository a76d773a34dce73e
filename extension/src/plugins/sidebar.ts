import { ILayoutRestorer, type JupyterFrontEnd, type JupyterFrontEndPlugin } from '@jupyterlab/application';
import { EndpointsPanel } from '../components/EndpointsPanel';
import { IDefaultEndpoint, IFuncxService } from '../tokens';

export const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:sidebar',
  description: 'The Endpoints sidebar: live endpoint status and the latest tasks.',
  autoStart: true,
  requires: [IFuncxService, IDefaultEndpoint],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, service: IFuncxService, defaultEndpoint: IDefaultEndpoint, restorer: ILayoutRestorer | null) => {
    const panel = new EndpointsPanel(service, defaultEndpoint, app.commands);
    app.shell.add(panel, 'left', { rank: 700 });
    restorer?.add(panel, panel.id);
  }
};
