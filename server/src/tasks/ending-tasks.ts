/**
 * The tasks this hub is making final right now (a result written, a cancel, a failure), from the moment the
 * write is decided until the store has answered. The first path to claim a task ends it; another path of this
 * hub finds it claimed and takes it as finished. This is what lets a result's final event leave before the
 * store has answered: nothing else on this hub can end that task meanwhile, and other hubs ask this one.
 */
export class EndingTasks {
  private readonly claimed = new Set<string>();

  /** Claims these ids; returns those claimed now (the rest are being ended by another path of this hub). */
  claim(taskIds: string[]): Set<string> {
    const now = new Set<string>();
    for (const id of taskIds) {
      if (this.claimed.has(id)) continue;
      this.claimed.add(id);
      now.add(id);
    }
    return now;
  }

  /** The store has answered for these (whatever it answered). */
  release(taskIds: Iterable<string>): void {
    for (const id of taskIds) this.claimed.delete(id);
  }

  /** Releases these ids once `write` settles; returns what it returned. */
  async settle<T>(taskIds: Iterable<string>, write: Promise<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.release(taskIds);
    }
  }
}
