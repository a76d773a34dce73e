import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { DefaultEndpoint } from '../default-endpoint';
import { IDefaultEndpoint } from '../tokens';

export const defaultEndpointPlugin: JupyterFrontEndPlugin<IDefaultEndpoint> = {
  id: '@funcx/jupyterlab:default-endpoint',
  description: "Tracks the current notebook's default funcX endpoint.",
  autoStart: true,
  provides: IDefaultEndpoint,
  requires: [INotebookTracker],
  activate: (_, tracker: INotebookTracker) => new DefaultEndpoint(tracker)
};
