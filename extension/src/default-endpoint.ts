import type { INotebookModel, INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal, type ISignal } from '@lumino/signaling';
import type { IDefaultEndpoint } from './tokens';

/** Notebook metadata key holding `{ endpoint }`. */
export const NOTEBOOK_METADATA_KEY = 'funcx';

/** Reads a notebook's default endpoint from its metadata. */
export function readDefaultEndpoint(model: INotebookModel | null | undefined): string | null {
  const value = model?.getMetadata(NOTEBOOK_METADATA_KEY) as { endpoint?: unknown } | undefined;
  return typeof value?.endpoint === 'string' && value.endpoint ? value.endpoint : null;
}

export function writeDefaultEndpoint(model: INotebookModel, name: string | null): void {
  const value = { ...((model.getMetadata(NOTEBOOK_METADATA_KEY) as object | undefined) ?? {}) } as {
    endpoint?: string;
  };
  if (name) value.endpoint = name;
  else delete value.endpoint;
  if (Object.keys(value).length === 0) model.deleteMetadata(NOTEBOOK_METADATA_KEY);
  else model.setMetadata(NOTEBOOK_METADATA_KEY, value);
}

/** The current notebook's default endpoint, following the notebook tracker. */
export class DefaultEndpoint implements IDefaultEndpoint {
  private readonly _changed = new Signal<this, string | null>(this);
  private watched: INotebookModel | null = null;
  private last: string | null = null;

  constructor(private readonly tracker: INotebookTracker) {
    tracker.currentChanged.connect(this.follow, this);
    this.follow(tracker, tracker.currentWidget);
  }

  get changed(): ISignal<this, string | null> {
    return this._changed;
  }

  get current(): string | null {
    return readDefaultEndpoint(this.tracker.currentWidget?.model);
  }

  set(name: string | null): boolean {
    const model = this.tracker.currentWidget?.model;
    if (!model) return false;
    writeDefaultEndpoint(model, name);
    this.check();
    return true;
  }

  private follow(_: unknown, panel: NotebookPanel | null): void {
    this.watched?.metadataChanged.disconnect(this.check, this);
    this.watched = null;
    const attach = () => {
      if (panel !== this.tracker.currentWidget) return;
      this.watched = panel?.model ?? null;
      this.watched?.metadataChanged.connect(this.check, this);
      this.check();
    };
    if (panel && !panel.model) void panel.context.ready.then(attach);
    attach();
  }

  private check(): void {
    const current = this.current;
    if (current !== this.last) {
      this.last = current;
      this._changed.emit(current);
    }
  }
}
