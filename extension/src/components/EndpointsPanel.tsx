import type { EndpointGroupView, EndpointView } from '@funcx/protocol';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';
import { CommandIDs, SIDEBAR_ID } from '../commands';
import { FlowRunList } from '../flows/FlowRunList';
import { funcxIcon } from '../icons';
import type { IDefaultEndpoint, IFuncxService } from '../tokens';
import { EndpointGroupList } from './EndpointGroupList';
import { EndpointList } from './EndpointList';
import { TaskList } from './TaskList';
import { moveFocusWithArrows } from './list-keys';
import { Clock } from './use-now';

/**
 * The "Endpoints" sidebar: live endpoints and endpoint groups (click one for the notebook's default) and the
 * latest tasks.
 */
export class EndpointsPanel extends ReactWidget {
  constructor(
    private readonly service: IFuncxService,
    private readonly defaultEndpoint: IDefaultEndpoint,
    private readonly commands: CommandRegistry
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.title.icon = funcxIcon;
    this.title.caption = 'funcX endpoints';
    this.addClass('funcx-EndpointsPanel');
    commands.commandChanged.connect(() => this.update(), this);
    service.connectionChanged.connect(this.markHub, this);
    this.markHub();
  }

  private markHub(): void {
    const unreachable = this.service.connectionState !== 'connected' && this.service.disconnectedSince !== null;
    this.node.dataset.hub = unreachable ? 'unreachable' : 'connected';
  }

  /** Groups change through REST without events: list them again whenever the sidebar comes into view. */
  protected override onAfterShow(): void {
    void this.service.refreshEndpointGroups();
  }

  private select = (endpoint: EndpointView): void => {
    this.toggleDefault(this.service.endpoints.refOf(endpoint));
  };

  private selectGroup = (group: EndpointGroupView): void => {
    this.toggleDefault(group.ref);
  };

  private toggleDefault(ref: string): void {
    this.defaultEndpoint.set(this.defaultEndpoint.current === ref ? null : ref);
  }

  render(): JSX.Element {
    const { service, defaultEndpoint, commands } = this;
    const hasMap = commands.hasCommand(CommandIDs.openMap);
    return (
      <Clock>
        {now => (
          <div className="funcx-EndpointsPanel-content">
            <header className="funcx-EndpointsPanel-header">
              <h2>Endpoints</h2>
              <UseSignal signal={service.connectionChanged} initialArgs={service.connectionState}>
                {() => {
                  const state = service.connectionState;
                  const title =
                    state === 'connected' ? `Connected to the hub at ${service.hubUrl}` : service.lastError ?? service.hubUrl;
                  return (
                    <span className="funcx-Connection" data-state={state} title={title} aria-label={title}>
                      {state === 'connected' ? '' : state}
                    </span>
                  );
                }}
              </UseSignal>
              {hasMap && (
                <button
                  className="jp-mod-styled funcx-MapButton"
                  title="Show the endpoints on a map"
                  onClick={() => void commands.execute(CommandIDs.openMap)}
                >
                  Map
                </button>
              )}
            </header>
            <UseSignal signal={service.connectionChanged}>
              {() =>
                service.lastError && service.connectionState !== 'connected' ? (
                  <p className="funcx-Error" role="alert">
                    {service.lastError}
                  </p>
                ) : null
              }
            </UseSignal>
            <div className="funcx-EndpointsPanel-lists" onKeyDown={moveFocusWithArrows}>
            <UseSignal signal={service.connectionChanged}>
              {() => <Unreachable since={service.disconnectedSince} connected={service.connectionState === 'connected'} />}
            </UseSignal>
            <UseSignal signal={defaultEndpoint.changed} initialArgs={defaultEndpoint.current}>
              {(_, current) => (
                <UseSignal signal={service.endpoints.changed}>
                  {() => (
                    <EndpointList
                      endpoints={service.endpoints.endpoints}
                      refOf={endpoint => service.endpoints.refOf(endpoint)}
                      selected={current ?? null}
                      selectedLabel="default"
                      onSelect={this.select}
                      emptyText={
                        service.connectionState === 'connected'
                          ? 'No endpoints yet: run `funcx-endpoint configure NAME` and `funcx-endpoint start NAME`.'
                          : 'Not connected to the hub.'
                      }
                      now={now}
                      showBlocks
                    />
                  )}
                </UseSignal>
              )}
            </UseSignal>
            <UseSignal signal={defaultEndpoint.changed} initialArgs={defaultEndpoint.current}>
              {(_, current) => (
                <UseSignal signal={service.endpointGroups.changed}>
                  {() =>
                    service.endpointGroups.groups.length > 0 ? (
                      <>
                        <h3 className="funcx-Section">Endpoint groups</h3>
                        <EndpointGroupList
                          groups={service.endpointGroups.groups}
                          endpoints={service.endpoints}
                          selected={current ?? null}
                          selectedLabel="default"
                          onSelect={this.selectGroup}
                        />
                      </>
                    ) : null
                  }
                </UseSignal>
              )}
            </UseSignal>
            </div>
            <p className="funcx-Hint">
              Click an endpoint or a group to make it this notebook&apos;s default for %%funcx cells.
            </p>
            <h3 className="funcx-Section">Latest tasks</h3>
            <UseSignal signal={service.tasks.changed}>
              {() => (
                <TaskList
                  tasks={service.tasks.tasks}
                  endpoints={service.endpoints}
                  now={now}
                  onShowCell={task => void commands.execute(CommandIDs.showTaskCell, { taskId: task.task_id })}
                  onClear={() => void commands.execute(CommandIDs.clearTasks)}
                />
              )}
            </UseSignal>
            {commands.hasCommand(CommandIDs.openFlowRun) && (
              <FlowRunList service={service} now={now} onOpen={runId => void commands.execute(CommandIDs.openFlowRun, { runId })} />
            )}
          </div>
        )}
      </Clock>
    );
  }
}

/**
 * While the hub is unreachable: since when, and that what the sidebar shows is as it was then (the lists below
 * are greyed by `.funcx-EndpointsPanel[data-hub='unreachable']`).
 */
function Unreachable({ since, connected }: { since: number | null; connected: boolean }): JSX.Element | null {
  if (connected || since === null) return null;
  return (
    <p className="funcx-Unreachable" role="status">
      Hub unreachable since {new Date(since).toLocaleTimeString()}: endpoints and tasks are shown as they were then.
    </p>
  );
}
