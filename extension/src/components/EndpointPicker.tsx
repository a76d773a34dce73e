import type { EndpointGroupView, EndpointView } from '@funcx/protocol';
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';
import type { IFuncxService } from '../tokens';
import { EndpointGroupList } from './EndpointGroupList';
import { EndpointList } from './EndpointList';
import { moveFocusWithArrows } from './list-keys';
import { Clock } from './use-now';

/** Dialog body: the endpoints with live status, then the endpoint groups; click one to choose it. */
class EndpointPickerBody extends ReactWidget implements Dialog.IBodyWidget<string | null> {
  private selected: string | null;

  constructor(private readonly service: IFuncxService, initial: string | null) {
    super();
    // Something is always chosen, so the focus ring and the "chosen" chip are on one row from the start.
    const first = service.endpoints.endpoints.find(endpoint => endpoint.status.online) ?? service.endpoints.endpoints[0];
    this.selected = initial ?? (first ? service.endpoints.refOf(first) : null);
    this.addClass('funcx-EndpointPicker');
  }

  /** Up and Down choose the next endpoint or group, and the focus goes with the choice. */
  private onKeyDown = (event: React.KeyboardEvent<HTMLElement>): void => {
    moveFocusWithArrows(event, item => {
      const endpointId = item.dataset.endpointId;
      const endpoint = endpointId ? this.service.endpoints.get(endpointId) : undefined;
      if (endpoint) this.choose(endpoint);
      else if (item.dataset.groupRef) {
        this.selected = item.dataset.groupRef;
        this.update();
      }
    });
  };

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
              <div className="funcx-EndpointPicker-lists" onKeyDown={this.onKeyDown}>
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
              </div>
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
    focusNodeSelector: '.funcx-EndpointPicker [aria-selected="true"]'
  });
  return result.button.accept ? result.value : null;
}
