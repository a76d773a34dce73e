import { formatBytes, isDataReference, type JsonValue } from '@funcx/protocol';
import type * as nbformat from '@jupyterlab/nbformat';
import { pythonRepr } from './python-repr';

/** Items a cell shows of a stream: the latest ones, with a line that counts those left out before them. */
export const STREAM_ITEMS_KEPT = 1_000;
/** Least time between two updates of the cell's output while items arrive. */
export const STREAM_UPDATE_MS = 200;

/** How a streamed item reads in a cell (the kernel's %%funcx writes the same, sdk/python/funcx/stream_display.py). */
export function streamItemText(item: JsonValue): string {
  if (isDataReference(item)) {
    return `<funcx data reference: ${formatBytes(item.size)}, ${item.$ref}; fetch it with funcx.store.get(ref)>`;
  }
  return pythonRepr(item);
}

/** The cell output that shows a stream: one display whose text is its latest items, one a line. */
export function streamItemsOutput(lines: readonly string[], shown: number, total: number): nbformat.IOutput {
  const left = total - shown;
  const head = left > 0 ? [`… ${left.toLocaleString('en-US')} earlier items not shown (the cell keeps the last ${STREAM_ITEMS_KEPT.toLocaleString('en-US')})`] : [];
  return {
    output_type: 'display_data',
    data: { 'text/plain': [...head, ...lines].join('\n') },
    metadata: { funcx: { stream: true } }
  };
}

/** Where the view writes: it adds its output once, then replaces it in place. */
export interface StreamItemsSink {
  add(output: nbformat.IOutput): void;
  readonly length: number;
  set(index: number, output: nbformat.IOutput): void;
}

/**
 * A stream's items in a cell, as they arrive: kept to the last STREAM_ITEMS_KEPT and written at most every
 * STREAM_UPDATE_MS, so a stream of 100,000 small items costs the notebook a few updates a second.
 */
export class StreamItemsView {
  private lines: string[] = [];
  private total = 0;
  private index: number | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private dirty = false;

  constructor(private readonly sink: StreamItemsSink) {}

  /** Items seen so far. */
  get count(): number {
    return this.total;
  }

  add(items: readonly JsonValue[]): void {
    for (const item of items) this.lines.push(streamItemText(item));
    this.total += items.length;
    // Trimmed in bulk: one copy per STREAM_ITEMS_KEPT items, not one per item.
    if (this.lines.length > 2 * STREAM_ITEMS_KEPT) this.lines = this.lines.slice(-STREAM_ITEMS_KEPT);
    this.dirty = true;
    if (this.index === undefined) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), STREAM_UPDATE_MS);
  }

  /** Writes what arrived since the last update now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    const lines = this.lines.length > STREAM_ITEMS_KEPT ? this.lines.slice(-STREAM_ITEMS_KEPT) : this.lines;
    const output = streamItemsOutput(lines, lines.length, this.total);
    if (this.index === undefined) {
      this.sink.add(output);
      this.index = this.sink.length - 1;
    } else {
      this.sink.set(this.index, output);
    }
  }

  /** The cell's outputs were cleared (a new attempt): what comes next starts a new output. */
  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lines = [];
    this.total = 0;
    this.index = undefined;
    this.dirty = false;
  }
}
