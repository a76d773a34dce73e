import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import { funcxIcon } from '../icons';
import type { IFuncxService } from '../tokens';

/** Status bar: hub connection state and how many tasks are running. */
export class StatusItem extends ReactWidget {
  constructor(private readonly service: IFuncxService, private readonly onOpen: () => void) {
    super();
    this.addClass('funcx-StatusBar');
  }

  render(): JSX.Element {
    const { service } = this;
    return (
      <UseSignal signal={service.connectionChanged}>
        {() => (
          <UseSignal signal={service.tasks.changed}>
            {() => {
              const state = service.connectionState;
              const active = service.tasks.active;
              const title =
                state === 'connected'
                  ? `funcX hub ${service.hubUrl}: connected, ${active} task(s) running`
                  : `funcX hub ${service.hubUrl}: ${state}. ${service.lastError ?? ''}`;
              return (
                <button className="funcx-StatusItem" data-state={state} title={title} onClick={this.onOpen}>
                  <funcxIcon.react tag="span" className="funcx-StatusItem-icon" />
                  <span className="funcx-StatusDot" data-status={state === 'connected' ? 'online' : 'offline'} />
                  <span className="funcx-StatusItem-text">
                    {state === 'connected' ? `funcX: ${active} running` : `funcX: ${state}`}
                  </span>
                </button>
              );
            }}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}
