import type { EndpointView } from '@funcx/protocol';
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';

import { CommandIDs } from '../commands';
import { EndpointMapWidget, type IMapSource } from '../map';
import { endpointMapIcon } from '../map/icon';
import { IDefaultEndpoint, IFuncxService } from '../tokens';

/** The live endpoint map in the main area: command `funcx:open-map`, palette and launcher entries. */
export const mapPlugin: JupyterFrontEndPlugin<void> = {
  id: '@funcx/jupyterlab:map',
  description: 'A live world map of funcX endpoints; click one to make it the notebook default.',
  autoStart: true,
  requires: [IFuncxService, IDefaultEndpoint],
  optional: [INotebookTracker, ICommandPalette, ILauncher, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    service: IFuncxService,
    defaults: IDefaultEndpoint,
    notebooks: INotebookTracker | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null
  ) => {
    const tracker = new WidgetTracker<MainAreaWidget<EndpointMapWidget>>({ namespace: 'funcx-map' });
    const source = new MapSource(service, defaults, notebooks);

    app.commands.addCommand(CommandIDs.openMap, {
      label: 'Endpoint map',
      caption: 'A live world map of your funcX endpoints',
      icon: args => (args['isPalette'] ? undefined : endpointMapIcon),
      execute: () => {
        const existing = tracker.currentWidget;
        if (existing && !existing.isDisposed) {
          app.shell.activateById(existing.id);
          return existing;
        }
        const widget = new MainAreaWidget({ content: new EndpointMapWidget(source) });
        widget.id = 'funcx-map';
        widget.addClass('funcx-Map');
        widget.title.label = 'Endpoint map';
        widget.title.icon = endpointMapIcon;
        widget.title.closable = true;
        void tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });

    palette?.addItem({ command: CommandIDs.openMap, category: 'funcX' });
    launcher?.add({ command: CommandIDs.openMap, category: 'funcX', rank: 1 });
    if (restorer) {
      void restorer.restore(tracker, { command: CommandIDs.openMap, name: () => 'funcx-map' });
    }
  }
};

/** Adapts the service's endpoints model and the default-endpoint API to what the map reads. */
class MapSource implements IMapSource {
  private readonly _defaultChanged = new Signal<this, void>(this);

  constructor(
    private readonly service: IFuncxService,
    private readonly defaults: IDefaultEndpoint,
    private readonly notebooks: INotebookTracker | null
  ) {
    defaults.changed.connect(() => this._defaultChanged.emit());
    notebooks?.currentChanged.connect(() => this._defaultChanged.emit());
  }

  get endpoints(): readonly EndpointView[] {
    return this.service.endpoints.endpoints;
  }

  get endpointsChanged(): ISignal<unknown, unknown> {
    return this.service.endpoints.changed;
  }

  get taskActivity() {
    return this.service.tasks.activity;
  }

  get connectionState() {
    return this.service.connectionState;
  }

  get connectionError(): string | null {
    return this.service.lastError;
  }

  get connectionChanged(): ISignal<unknown, unknown> {
    return this.service.connectionChanged;
  }

  get notebookName(): string | null {
    const path = this.notebooks?.currentWidget?.context.path;
    return path ? PathExt.basename(path) : null;
  }

  get defaultEndpoint(): string | null {
    return this.defaults.current;
  }

  get defaultChanged(): ISignal<this, void> {
    return this._defaultChanged;
  }

  async setDefaultEndpoint(endpoint: EndpointView): Promise<void> {
    if (!this.defaults.set(this.service.endpoints.refOf(endpoint))) {
      throw new Error('no notebook is open: open one, then choose its endpoint');
    }
  }
}
