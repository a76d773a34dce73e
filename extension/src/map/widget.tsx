import { endpointStatus, type EndpointView } from '@funcx/protocol';
import { Notification } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { EndpointMap } from './EndpointMap';
import type { IMapSource } from './source';

/** The map's content: a React view over an IMapSource; a click makes an endpoint the notebook's default. */
export class EndpointMapWidget extends ReactWidget {
  constructor(private readonly source: IMapSource) {
    super();
    this.addClass('funcx-MapContent');
  }

  protected render(): JSX.Element {
    return <EndpointMap source={this.source} onSelect={endpoint => void this.select(endpoint)} />;
  }

  private async select(endpoint: EndpointView): Promise<void> {
    const notebook = this.source.notebookName;
    if (!notebook) {
      Notification.warning(
        `Open a notebook first: ${endpoint.name} would become the default endpoint of the current notebook.`,
        { autoClose: 5000 }
      );
      return;
    }
    try {
      await this.source.setDefaultEndpoint(endpoint);
    } catch (error) {
      Notification.error(`Could not make ${endpoint.name} the default endpoint: ${String(error)}`, {
        autoClose: 8000
      });
      return;
    }
    const offline = endpointStatus(endpoint) === 'offline' ? ' It is offline: tasks wait until it is back.' : '';
    Notification.success(
      `${endpoint.name} is now the default endpoint of ${notebook}: %%funcx cells without a name and ` +
        `"Run cell on endpoint" use it.${offline}`,
      { autoClose: 5000 }
    );
  }
}
