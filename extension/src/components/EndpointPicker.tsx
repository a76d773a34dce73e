import type { EndpointGroupView, EndpointView } from '@funcx/protocol';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IFuncxService } from '../tokens';
import { EndpointGroupList } from './EndpointGroupList';
import { EndpointList } from './EndpointList';
import { Clock } from './use-now';

/** Dialog body: the endpoints with live status, then the endpoint groups; click one to choose it. */
class EndpointPickerBody extends ReactWidget implements Dialog.IBodyWidget<string | null> {
  private selected: string | null;

  constructor(private readonly service: IFuncxService, initial: string | null) {
    super();
    this.selected = initial;
    this.addClass('funcx-EndpointPicker');
  }

  getValue(): string | null {
    return this.selected;
  }

  private choose = (endpoint: EndpointView): void => {
    this.selected = this.service.endpoints.refOf(endpoint);
    this.update();
  };

  private chooseGroup = (group: EndpointGroupView): void => {
    this.selected = group.ref;
    this.update();
  };

  render(): JSX.Element {
    return (
      <Clock>
        {now => (
          <UseSignal signal={this.service.endpoints.changed}>
            {() => (
              <>
                <EndpointList
                  endpoints={this.service.endpoints.endpoints}
                  refOf={endpoint => this.service.endpoints.refOf(endpoint)}
                  selected={this.selected}
                  selectedLabel="chosen"
                  onSelect={this.choose}
                  emptyText="No endpoints: start one with `funcx-endpoint start NAME`."
                  now={now}
                />
                <UseSignal signal={this.service.endpointGroups.changed}>
                  {() =>
                    this.service.endpointGroups.groups.length > 0 ? (
                      <>
                        <h3 className="funcx-Section">Endpoint groups</h3>
                        <EndpointGroupList
                          groups={this.service.endpointGroups.groups}
                          endpoints={this.service.endpoints}
                          selected={this.selected}
                          selectedLabel="chosen"
                          onSelect={this.chooseGroup}
                        />
                      </>
                    ) : null
                  }
                </UseSignal>
              </>
            )}
          </UseSignal>
        )}
      </Clock>
    );
  }
}

/** Asks for an endpoint or an endpoint group; resolves with its name (`group:NAME` for a group), or null when cancelled. */
export async function pickEndpoint(service: IFuncxService, initial: string | null): Promise<string | null> {
  void service.refreshEndpointGroups();
  const result = await showDialog({
    title: 'Run cell on endpoint',
    body: new EndpointPickerBody(service, initial),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })],
    focusNodeSelector: '.funcx-EndpointItem'
  });
  return result.button.accept ? result.value : null;
}
