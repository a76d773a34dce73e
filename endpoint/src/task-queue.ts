/**
 * Tasks waiting for a worker, first in, first out. A task settled while it waits (cancelled) stays in place and
 * is skipped, so a cancel costs nothing here; the array is compacted as its head advances.
 */
export class TaskQueue<T extends { done: boolean }> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  /** Puts a task back at the front (it was handed to a worker that died before running it). */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** The first task not done yet, left in the queue. */
  peek(): T | undefined {
    while (this.head < this.items.length) {
      if (this.head > 1024 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      const item = this.items[this.head];
      if (!item.done) return item;
      this.head++;
    }
    return undefined;
  }

  /** Removes the task peek() returned. */
  shift(): void {
    if (this.head < this.items.length) this.head++;
  }

  /** Removes and returns every task not done yet. */
  drain(): T[] {
    const waiting = this.items.slice(this.head).filter((item) => !item.done);
    this.items = [];
    this.head = 0;
    return waiting;
  }
}
