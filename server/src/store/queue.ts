/**
 * A queue of task ids with O(1) push at both ends, take from the front and removal (lazy: a removed id stays
 * in the arrays and is skipped when reached).
 */
export class TaskQueue {
  /** Ids pushed to the front, last one first. */
  private front: string[] = [];
  private back: string[] = [];
  private head = 0;
  private readonly members = new Set<string>();

  get length(): number {
    return this.members.size;
  }

  has(taskId: string): boolean {
    return this.members.has(taskId);
  }

  pushBack(taskIds: Iterable<string>): void {
    for (const id of taskIds) {
      if (this.members.has(id)) continue;
      this.members.add(id);
      this.back.push(id);
    }
  }

  pushFront(taskIds: string[]): void {
    for (let i = taskIds.length - 1; i >= 0; i--) {
      const id = taskIds[i];
      if (this.members.has(id)) continue;
      this.members.add(id);
      this.front.push(id);
    }
  }

  take(max: number): string[] {
    const taken: string[] = [];
    while (taken.length < max && this.members.size > 0) {
      let id: string | undefined;
      if (this.front.length > 0) id = this.front.pop();
      else if (this.head < this.back.length) id = this.back[this.head++];
      else break;
      if (id !== undefined && this.members.delete(id)) taken.push(id);
    }
    if (this.head > 1024 && this.head * 2 > this.back.length) {
      this.back = this.back.slice(this.head);
      this.head = 0;
    }
    if (this.members.size === 0) this.clear();
    return taken;
  }

  remove(taskId: string): boolean {
    return this.members.delete(taskId);
  }

  /** The ids in queue order. */
  ids(): string[] {
    const seen = new Set<string>();
    const ordered: string[] = [];
    const visit = (id: string) => {
      if (this.members.has(id) && !seen.has(id)) {
        seen.add(id);
        ordered.push(id);
      }
    };
    for (let i = this.front.length - 1; i >= 0; i--) visit(this.front[i]);
    for (let i = this.head; i < this.back.length; i++) visit(this.back[i]);
    return ordered;
  }

  clear(): void {
    this.front = [];
    this.back = [];
    this.head = 0;
    this.members.clear();
  }
}
