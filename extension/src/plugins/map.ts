import type { EndpointView } from '@funcx/protocol';
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';

import { CommandIDs } from '../commands';
import { EndpointMapWidget, type IMapSource } from '../map';
import { endpointMapIcon } from '../map/icon';
import { IDefaultEndpoint, IEndpointMap, IFuncxService } from '../tokens';

/** The live endpoint map in the main area (opened by `funcx:open-map`, from the palette and the launcher). */
export const mapPlugin: JupyterFrontEndPlugin<IEndpointMap> = {
  id: '@funcx/jupyterlab:map',
  description: 'A live world map of funcX endpoints; click one to make it the notebook default.',
  autoStart: true,
  provides: IEndpointMap,
  requires: [IFuncxService, IDefaultEndpoint],
  optional: [INotebookTracker, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    service: IFuncxService,
    defaults: IDefaultEndpoint,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null
  ): IEndpointMap => {
    const tracker = new WidgetTracker<MainAreaWidget<EndpointMapWidget>>({ namespace: 'funcx-map' });
    const source = new MapSource(service, defaults, notebooks);
    if (restorer) {
      void restorer.restore(tracker, { command: CommandIDs.openMap, name: () => 'funcx-map' });
    }
    return {
      open: () => {
        const existing = tracker.currentWidget;
        if (existing && !existing.isDisposed) {
          app.shell.activateById(existing.id);
          return;
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
      }
    };
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
