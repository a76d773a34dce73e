import type { EndpointGroupRecord, EndpointRecord, FunctionRecord, GroupRecord, TaskRecord } from '@funcx/protocol';
import { isFinalState } from '@funcx/protocol';
import { TaskQueue } from './queue.js';
import type { TokenKind, TokenRecord, UserRecord } from './store.js';
import { applyTaskChange, type TaskChange } from './task-lines.js';

/** One line of the journal, the snapshot or the users file. */
export type JournalEntry =
  | { k: 'gen'; n: number }
  | { k: 'user'; v: UserRecord }
  | { k: 'token'; v: TokenRecord }
  | { k: 'untoken'; kind: TokenKind; subject: string }
  | { k: 'group'; v: GroupRecord }
  | { k: 'members'; name: string; add: string[]; remove: string[] }
  | { k: 'group-'; name: string }
  | { k: 'fn'; v: FunctionRecord }
  | { k: 'fn-'; id: string }
  | { k: 'ep'; v: EndpointRecord }
  | { k: 'ep-'; id: string }
  | { k: 'eg'; v: EndpointGroupRecord }
  | { k: 'eg-'; id: string }
  | { k: 'task'; v: TaskRecord }
  | ({ k: 'task~' } & TaskChange)
  | { k: 'enq'; e: string; ids: string[] }
  | { k: 'take'; e: string; ids: string[] }
  | { k: 'requeue'; e: string; ids: string[] }
  | { k: 'claim'; e: string; ids: string[] }
  | { k: 'refund'; ids: string[] }
  | { k: 'release'; e: string; ids: string[] }
  | { k: 'drop'; e: string }
  | { k: 'queue'; e: string; queued: string[]; inflight: string[] };

/** Finished tasks kept in memory and across a compaction (the oldest beyond this are forgotten). */
export const FINISHED_TASKS_KEPT = 200_000;

/** The whole content of the embedded store, and how each journal line changes it. */
export class MemoryState {
  readonly users = new Map<string, UserRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly functions = new Map<string, FunctionRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  readonly endpointGroups = new Map<string, EndpointGroupRecord>();
  readonly tasks = new Map<string, TaskRecord>();
  /**
   * Each user's task ids, oldest first by (received, id) once `ownerTasks` has sorted them (ids of forgotten
   * tasks are dropped then too). New ids are appended and the list marked for sorting.
   */
  private readonly tasksByOwner = new Map<string, { ids: string[]; sorted: boolean }>();
  private readonly queues = new Map<string, TaskQueue>();
  private readonly inflightSets = new Map<string, Set<string>>();

  queue(endpointId: string): TaskQueue {
    let queue = this.queues.get(endpointId);
    if (!queue) this.queues.set(endpointId, (queue = new TaskQueue()));
    return queue;
  }

  inflight(endpointId: string): Set<string> {
    let set = this.inflightSets.get(endpointId);
    if (!set) this.inflightSets.set(endpointId, (set = new Set()));
    return set;
  }

  deleteTokensOf(kind: TokenKind, subject: string): void {
    for (const [hash, token] of this.tokens) {
      if (token.kind === kind && token.subject === subject) this.tokens.delete(hash);
    }
  }

  /** Adds, then removes, members; the group becomes a new object (one handed out earlier stays as it was). */
  changeMembers(name: string, add: string[], remove: string[]): void {
    const group = this.groups.get(name);
    if (!group) return;
    const members = new Set(group.members);
    for (const user of add) members.add(user);
    for (const user of remove) members.delete(user);
    this.groups.set(name, { ...group, members: [...members] });
  }

  take(endpointId: string, max: number): string[] {
    const ids = this.queue(endpointId).take(max);
    this.markTaken(endpointId, ids);
    return ids;
  }

  private markTaken(endpointId: string, ids: string[]): void {
    const inflight = this.inflight(endpointId);
    const queue = this.queue(endpointId);
    for (const id of ids) {
      queue.remove(id);
      inflight.add(id);
      const task = this.tasks.get(id);
      if (task) task.attempts++;
    }
  }

  requeue(endpointId: string, ids: string[]): void {
    const inflight = this.inflight(endpointId);
    for (const id of ids) inflight.delete(id);
    this.queue(endpointId).pushFront(ids);
  }

  refund(ids: string[]): void {
    for (const id of ids) {
      const task = this.tasks.get(id);
      if (task && task.attempts > 0) task.attempts--;
    }
  }

  claim(endpointId: string, ids: string[]): void {
    const inflight = this.inflight(endpointId);
    const queue = this.queue(endpointId);
    for (const id of ids) {
      queue.remove(id);
      inflight.add(id);
    }
  }

  addTask(task: TaskRecord): void {
    if (!this.tasks.has(task.task_id)) {
      let index = this.tasksByOwner.get(task.owner);
      if (!index) this.tasksByOwner.set(task.owner, (index = { ids: [], sorted: true }));
      index.ids.push(task.task_id);
      index.sorted = false;
    }
    this.tasks.set(task.task_id, task);
  }

  /** A user's tasks, oldest first by received time, then id. */
  ownerTasks(owner: string): TaskRecord[] {
    const index = this.tasksByOwner.get(owner);
    if (!index) return [];
    const tasks: TaskRecord[] = [];
    for (const id of index.ids) {
      const task = this.tasks.get(id);
      if (task) tasks.push(task);
    }
    if (!index.sorted || tasks.length !== index.ids.length) {
      tasks.sort((a, b) => (a.timestamps.received ?? 0) - (b.timestamps.received ?? 0) || (a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0));
      index.ids = tasks.map((task) => task.task_id);
      index.sorted = true;
    }
    return tasks;
  }

  /** Endpoints with ids in flight. */
  endpointsInFlight(): string[] {
    return [...this.inflightSets].filter(([, ids]) => ids.size > 0).map(([endpointId]) => endpointId);
  }

  release(endpointId: string, ids: string[]): void {
    const inflight = this.inflight(endpointId);
    const queue = this.queue(endpointId);
    for (const id of ids) {
      inflight.delete(id);
      queue.remove(id);
    }
  }

  drop(endpointId: string): string[] {
    const ids = [...this.queue(endpointId).ids(), ...this.inflight(endpointId)];
    this.queues.delete(endpointId);
    this.inflightSets.delete(endpointId);
    return ids;
  }

  apply(entry: JournalEntry): void {
    switch (entry.k) {
      case 'user': this.users.set(entry.v.name, entry.v); break;
      case 'token': this.tokens.set(entry.v.hash, entry.v); break;
      case 'untoken': this.deleteTokensOf(entry.kind, entry.subject); break;
      case 'group': this.groups.set(entry.v.name, entry.v); break;
      case 'members': this.changeMembers(entry.name, entry.add, entry.remove); break;
      case 'group-': this.groups.delete(entry.name); break;
      case 'fn': this.functions.set(entry.v.function_id, entry.v); break;
      case 'fn-': this.functions.delete(entry.id); break;
      case 'ep': this.endpoints.set(entry.v.endpoint_id, entry.v); break;
      case 'ep-': this.endpoints.delete(entry.id); break;
      case 'eg': this.endpointGroups.set(entry.v.group_id, entry.v); break;
      case 'eg-': this.endpointGroups.delete(entry.id); break;
      case 'task': this.addTask(entry.v); break;
      case 'task~': {
        const task = this.tasks.get(entry.id);
        if (task) applyTaskChange(task, entry);
        break;
      }
      case 'enq': this.queue(entry.e).pushBack(entry.ids); break;
      case 'take': this.markTaken(entry.e, entry.ids); break;
      case 'requeue': this.requeue(entry.e, entry.ids); break;
      case 'claim': this.claim(entry.e, entry.ids); break;
      case 'refund': this.refund(entry.ids); break;
      case 'release': this.release(entry.e, entry.ids); break;
      case 'drop': this.drop(entry.e); break;
      case 'gen': break;
      case 'queue':
        this.queue(entry.e).pushBack(entry.queued);
        for (const id of entry.inflight) this.inflight(entry.e).add(id);
        break;
    }
  }

  /**
   * After a replay: finished tasks leave the queues, every unfinished task is queued or in flight at its
   * endpoint, and only the newest finished tasks are kept.
   */
  normalize(): void {
    const placed = new Set<string>();
    for (const [endpointId, queue] of this.queues) {
      const finished = queue.ids().filter((id) => this.isFinishedOrUnknown(id));
      for (const id of finished) queue.remove(id);
      for (const id of queue.ids()) placed.add(id);
      const inflight = this.inflight(endpointId);
      for (const id of inflight) {
        if (this.isFinishedOrUnknown(id)) inflight.delete(id);
        else placed.add(id);
      }
    }
    const finished: string[] = [];
    for (const task of this.tasks.values()) {
      if (isFinalState(task.state)) finished.push(task.task_id);
      else if (!placed.has(task.task_id)) this.queue(task.endpoint_id).pushBack([task.task_id]);
    }
    for (let i = 0; i < finished.length - FINISHED_TASKS_KEPT; i++) this.tasks.delete(finished[i]);
  }

  /** Forgets the oldest finished tasks beyond `keep`; returns how many were forgotten. */
  forgetOldFinished(keep: number): number {
    let finished = 0;
    for (const task of this.tasks.values()) if (isFinalState(task.state)) finished++;
    let excess = finished - keep;
    if (excess <= 0) return 0;
    const forgotten = excess;
    for (const [id, task] of this.tasks) {
      if (excess === 0) break;
      if (isFinalState(task.state)) {
        this.tasks.delete(id);
        excess--;
      }
    }
    return forgotten;
  }

  /** The lines that recreate this state (users, their tokens and groups live in their own file and are left out). */
  *snapshot(): Generator<JournalEntry> {
    for (const token of this.tokens.values()) if (token.kind === 'endpoint') yield { k: 'token', v: token };
    for (const fn of this.functions.values()) yield { k: 'fn', v: fn };
    for (const endpoint of this.endpoints.values()) yield { k: 'ep', v: endpoint };
    for (const group of this.endpointGroups.values()) yield { k: 'eg', v: group };
    for (const task of this.tasks.values()) yield { k: 'task', v: task };
    for (const [endpointId, queue] of this.queues) {
      const inflight = [...this.inflight(endpointId)];
      if (queue.length > 0 || inflight.length > 0) yield { k: 'queue', e: endpointId, queued: queue.ids(), inflight };
    }
  }

  private isFinishedOrUnknown(taskId: string): boolean {
    const task = this.tasks.get(taskId);
    return !task || isFinalState(task.state);
  }
}
