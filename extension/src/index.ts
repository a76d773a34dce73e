import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { commandsPlugin } from './plugins/commands';
import { corePlugin } from './plugins/core';
import { defaultEndpointPlugin } from './plugins/default-endpoint';
import { executorPlugin, runnerPlugin } from './plugins/executor';
import { flowsPlugin } from './plugins/flows';
import { mapPlugin } from './plugins/map';
import { sidebarPlugin } from './plugins/sidebar';
import { statusBarPlugin } from './plugins/status-bar';

export * from './tokens';
export { CommandIDs } from './commands';
export { EndpointsModel } from './models/endpoints-model';
export { TasksModel, type TaskActivity, type TaskEntry } from './models/tasks-model';

const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  runnerPlugin,
  executorPlugin,
  defaultEndpointPlugin,
  sidebarPlugin,
  statusBarPlugin,
  commandsPlugin,
  mapPlugin,
  flowsPlugin
];

export default plugins;
