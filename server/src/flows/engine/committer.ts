import type { FlowRunRecord } from '@funcx/protocol';
import type { FlowStore, FlowThread, NewRunEvent, RunChange } from '../../store/flow-store.js';

interface Pending {
  threads: Map<string, FlowThread>;
  deletes: Set<string>;
  events: NewRunEvent[];
  run?: FlowRunRecord;
  waiters: Waiter[];
}

interface Waiter {
  resolve: (held: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * A run's commits, one store write at a time: changes asked for while a write is out are merged into the next
 * one (threads by id, the latest version winning; events in order), so a Map whose iterations finish together
 * costs one write, not one each. Each caller learns whether the hub still held the run's lease.
 */
export class RunCommitter {
  private pending: Pending | undefined;
  private writing = false;

  constructor(
    private readonly store: FlowStore,
    private readonly hubId: string,
    private readonly runId: string,
  ) {}

  commit(change: RunChange): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const pending: Pending = (this.pending ??= { threads: new Map(), deletes: new Set(), events: [], waiters: [] } as Pending);
      for (const id of change.deleteThreads ?? []) {
        pending.threads.delete(id);
        pending.deletes.add(id);
      }
      for (const thread of change.threads ?? []) {
        pending.deletes.delete(thread.thread_id);
        pending.threads.set(thread.thread_id, thread);
      }
      if (change.events) pending.events.push(...change.events);
      if (change.run) pending.run = change.run;
      pending.waiters.push({ resolve, reject });
      if (!this.writing) {
        // Commits asked for in the same turn go out together.
        this.writing = true;
        queueMicrotask(() => void this.write());
      }
    });
  }

  private async write(): Promise<void> {
    while (this.pending) {
      const { threads, deletes, events, run, waiters } = this.pending;
      this.pending = undefined;
      const change: RunChange = { events, run };
      if (threads.size > 0) change.threads = [...threads.values()];
      if (deletes.size > 0) change.deleteThreads = [...deletes];
      try {
        const held = await this.store.commitRun(this.hubId, this.runId, change);
        for (const waiter of waiters) waiter.resolve(held);
      } catch (error) {
        for (const waiter of waiters) waiter.reject(error);
      }
    }
    this.writing = false;
  }
}
