/** Every command id of the extension. */
export namespace CommandIDs {
  export const registerCell = 'funcx:register-cell';
  export const runCellOnEndpoint = 'funcx:run-cell-on-endpoint';
  export const runCellOnLastEndpoint = 'funcx:run-cell-on-last-endpoint';
  export const openSidebar = 'funcx:open-sidebar';
  /** Registered by the map plugin. */
  export const openMap = 'funcx:open-map';
  export const reconnect = 'funcx:reconnect';
  export const openSettings = 'funcx:open-settings';
}

export const PLUGIN_ID = '@funcx/jupyterlab:plugin';
export const SIDEBAR_ID = 'funcx-endpoints';
