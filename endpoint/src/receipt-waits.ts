import { isErrorBody, type DoneReceipt } from '@funcx/protocol';

interface Wait {
  ids: string[];
  left: number;
  resolve(ids: string[]): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * `tasks:done` messages sent to a hub that acknowledges them by receipts (on its dispatches, or alone), each
 * waiting until every one of its ids is recorded.
 */
export class ReceiptWaits {
  private readonly waits = new Map<string, Wait>();

  constructor(private readonly timeoutMs: number) {}

  /**
   * Resolves with the ids once the hub has recorded them all; rejects when it could not, when no receipt came
   * within the timeout, or when the connection closed first.
   */
  expect(taskIds: string[]): Promise<string[]> {
    if (taskIds.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const wait: Wait = {
        ids: taskIds,
        left: taskIds.length,
        resolve,
        reject,
        timer: setTimeout(() => this.fail(wait, new Error(`the hub sent no receipt within ${this.timeoutMs} ms`)), this.timeoutMs),
      };
      for (const id of taskIds) this.waits.set(id, wait);
    });
  }

  /** A receipt from the hub; anything in it that is not a list of ids is ignored. */
  receive(receipt: DoneReceipt): void {
    for (const id of idList(receipt.recorded)) {
      const wait = this.waits.get(id);
      if (!wait) continue;
      this.waits.delete(id);
      if (--wait.left === 0) {
        clearTimeout(wait.timer);
        wait.resolve(wait.ids);
      }
    }
    const unrecorded = idList(receipt.unrecorded);
    if (unrecorded.length === 0) return;
    const why = isErrorBody(receipt.error) ? receipt.error.message : 'the hub did not say why';
    const error = new Error(`the hub could not record these results: ${why}`);
    for (const id of unrecorded) {
      const wait = this.waits.get(id);
      if (wait) this.fail(wait, error);
    }
  }

  /** The connection closed: no receipt will come for what is waiting (it is all sent again after the next hello). */
  failAll(reason: string): void {
    const error = new Error(reason);
    for (const wait of new Set(this.waits.values())) this.fail(wait, error);
  }

  get size(): number {
    return this.waits.size;
  }

  private fail(wait: Wait, error: Error): void {
    clearTimeout(wait.timer);
    for (const id of wait.ids) if (this.waits.get(id) === wait) this.waits.delete(id);
    wait.reject(error);
  }
}

function idList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [];
}
