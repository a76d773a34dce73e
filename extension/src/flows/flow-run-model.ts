import type { FlowRunEvent, FlowRunView } from '@funcx/protocol';
import { Signal, type ISignal } from '@lumino/signaling';
import type { IFuncxService } from '../tokens';

/** How often a run that is still ACTIVE is asked for again (new events only). */
export const FLOW_RUN_POLL_MS = 500;
/** The newest events the view keeps (the hub keeps them all). */
const EVENTS_KEPT = 2_000;

/**
 * One flow run as the hub reports it, kept up to date while it is ACTIVE: its record, every state's summary and
 * its events (asked for from the last one seen). No DOM.
 */
export class FlowRunModel {
  private _view: FlowRunView | null = null;
  private _error: string | null = null;
  private events: FlowRunEvent[] = [];
  private seen = 0;
  private timer: number | undefined;
  private disposed = false;
  private readonly _changed = new Signal<this, void>(this);

  constructor(
    private readonly service: IFuncxService,
    readonly runId: string
  ) {
    void this.refresh();
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The run with all the events seen so far; null until the first answer. */
  get view(): FlowRunView | null {
    return this._view;
  }

  /** Why the last refresh failed, or null. */
  get error(): string | null {
    return this._error;
  }

  async refresh(): Promise<void> {
    window.clearTimeout(this.timer);
    if (this.disposed) return;
    try {
      const view = await this.service.client.flows.getRun(this.runId, this.seen);
      if (this.disposed) return;
      if (view.events.length > 0) this.seen = view.events[view.events.length - 1].seq;
      this.events = [...this.events, ...view.events].slice(-EVENTS_KEPT);
      this._view = { ...view, events: this.events };
      this._error = null;
      const more = this.seen < view.last_seq;
      if (view.status === 'ACTIVE' || more) this.timer = window.setTimeout(() => void this.refresh(), more ? 0 : FLOW_RUN_POLL_MS);
    } catch (error) {
      this._error = (error as Error).message;
      this.timer = window.setTimeout(() => void this.refresh(), FLOW_RUN_POLL_MS * 4);
    }
    this._changed.emit();
  }

  async cancel(): Promise<void> {
    await this.service.client.flows.cancelRun(this.runId);
    await this.refresh();
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.timer);
    Signal.clearData(this);
  }
}
