import { MAX_RECEIPT_IDS, RECEIPT_DELAY_MS, type DoneReceipt, type ErrorBody } from '@funcx/protocol';

/**
 * The receipts owed to one endpoint daemon for completions it sent without an ack. Recorded ids wait up to
 * RECEIPT_DELAY_MS for a dispatch to carry them (`take`), then go alone; ids that could not be recorded are
 * told at once, so that the daemon sends them again soon.
 */
export class DoneReceipts {
  private recorded: string[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly send: (receipt: DoneReceipt) => void,
    private readonly delayMs = RECEIPT_DELAY_MS,
  ) {}

  /** These are written: the daemon may forget them. */
  add(taskIds: string[]): void {
    if (this.stopped || taskIds.length === 0) return;
    for (const id of taskIds) this.recorded.push(id);
    if (this.recorded.length >= MAX_RECEIPT_IDS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** These could not be written (`error` says why). */
  refuse(taskIds: string[], error: ErrorBody): void {
    if (this.stopped) return;
    this.send({ unrecorded: taskIds, error });
  }

  /** The ids owed, for a message going out now; nothing is then sent alone for them. */
  take(): string[] | undefined {
    if (this.recorded.length === 0) return undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    const ids = this.recorded;
    this.recorded = [];
    return ids;
  }

  /** The connection is gone: the daemon sends what it holds again after its next hello. */
  stop(): void {
    this.stopped = true;
    this.take();
  }

  private flush(): void {
    const ids = this.take();
    if (ids) this.send({ recorded: ids });
  }
}
