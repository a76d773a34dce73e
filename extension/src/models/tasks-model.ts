import {
  TASK_STATES,
  isFinalState,
  type StateTimestamps,
  type TaskEvent,
  type TaskRecord,
  type TaskRouting,
  type TaskState,
  type TaskSummary
} from '@funcx/protocol';
import { Signal, type ISignal } from '@lumino/signaling';

/** What the sidebar shows of one task. */
export interface TaskEntry {
  task_id: string;
  state: TaskState;
  timestamps: StateTimestamps;
  endpoint_id?: string;
  function_id?: string;
  /** Where the task came from, e.g. "demo.ipynb [3]" or a function name. */
  label?: string;
  /** Why the hub sent it where it did, when it chose among several endpoints (a group, or a list). */
  routing?: TaskRouting;
  /** The notebook cell it ran for (its cell id), when this page ran it from a cell. */
  cell_id?: string;
}

/** A task started or finished on an endpoint (the map pulses the endpoint's marker). */
export interface TaskActivity {
  endpoint_id: string;
  task_id: string;
  kind: 'started' | 'finished';
}

type TaskLookup = (taskId: string) => Promise<TaskRecord>;

/** The latest tasks of the user, kept up to date from `task:events`. */
export class TasksModel {
  private readonly byId = new Map<string, TaskEntry>();
  private readonly _changed = new Signal<this, void>(this);
  private readonly _activity = new Signal<this, TaskActivity>(this);
  /** The last activity announced per task. */
  private readonly announced = new Map<string, TaskActivity['kind']>();
  private lookup?: TaskLookup;

  constructor(private readonly keep = 20) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emits once when a task is seen running and once when it is seen finished after running, as soon as its
   * endpoint is known (from its events, from `track()` or from a lookup), whichever comes first.
   */
  get activity(): ISignal<this, TaskActivity> {
    return this._activity;
  }

  /** Newest first. */
  get tasks(): readonly TaskEntry[] {
    return [...this.byId.values()].reverse();
  }

  /** Tasks not yet in a final state. */
  get active(): number {
    let count = 0;
    for (const task of this.byId.values()) if (!isFinalState(task.state)) count++;
    return count;
  }

  get(taskId: string): TaskEntry | undefined {
    return this.byId.get(taskId);
  }

  /** Ids of the tasks shown that are not in a final state. */
  unfinished(): string[] {
    return [...this.byId.values()].filter(task => !isFinalState(task.state)).map(task => task.task_id);
  }

  /** Applies a task's record as the hub has it now (read again after a reconnect). */
  refresh(record: TaskSummary): void {
    const task = this.byId.get(record.task_id);
    if (!task) return;
    task.state = record.state;
    task.timestamps = { ...task.timestamps, ...record.timestamps };
    task.endpoint_id ??= record.endpoint_id;
    if (record.routing) task.routing ??= record.routing;
    this.announce(task);
    this._changed.emit();
  }

  /** Forgets every finished task ("Clear" in the sidebar); unfinished ones stay. */
  clearFinished(): void {
    let removed = false;
    for (const [id, task] of this.byId) {
      if (!isFinalState(task.state)) continue;
      this.byId.delete(id);
      removed = true;
    }
    if (removed) this._changed.emit();
  }

  /** How to learn the endpoint of a task this page did not submit (e.g. from the CLI). */
  setLookup(lookup: TaskLookup | undefined): void {
    this.lookup = lookup;
  }

  /** Records a task this page submitted, before its first event arrives. */
  track(taskId: string, info: Omit<TaskEntry, 'task_id' | 'state' | 'timestamps'>): void {
    const existing = this.byId.get(taskId);
    if (existing) {
      Object.assign(existing, info);
    } else {
      this.insert({ task_id: taskId, state: 'received', timestamps: { received: Date.now() }, ...info });
    }
    this.announce(this.byId.get(taskId));
    this._changed.emit();
  }

  /**
   * Adds the user's recent tasks as the hub lists them (newest first), older than what this page already
   * shows: the task list is not empty after a reload. Their past is not announced as activity.
   */
  seed(recent: readonly TaskSummary[]): void {
    const history: TaskEntry[] = [];
    for (const summary of [...recent].reverse()) {
      if (this.byId.has(summary.task_id)) continue;
      history.push({
        task_id: summary.task_id,
        state: summary.state,
        timestamps: summary.timestamps,
        endpoint_id: summary.endpoint_id,
        function_id: summary.function_id,
        ...(summary.routing ? { routing: summary.routing } : {})
      });
      if (summary.timestamps.running !== undefined) {
        this.announced.set(summary.task_id, isFinalState(summary.state) ? 'finished' : 'started');
      }
    }
    if (history.length === 0) return;
    const current = [...this.byId.values()];
    this.byId.clear();
    for (const entry of [...history, ...current]) this.byId.set(entry.task_id, entry);
    this.trim();
    this._changed.emit();
  }

  handleEvents(events: TaskEvent[]): void {
    let changed = false;
    for (const event of events) {
      if (event.type === 'output') continue;
      let task = this.byId.get(event.task_id);
      if (!task) {
        task = { task_id: event.task_id, state: event.state, timestamps: {} };
        this.insert(task);
        if (!event.endpoint_id) this.describe(task);
      }
      if (event.endpoint_id && !task.endpoint_id) task.endpoint_id = event.endpoint_id;
      if (event.type === 'state' && event.routing) task.routing = event.routing;
      task.timestamps = { ...task.timestamps, ...event.timestamps };
      if (!isFinalState(task.state)) task.state = event.state;
      this.announce(task);
      changed = true;
    }
    if (changed) this._changed.emit();
  }

  /** Milliseconds from the task's first state to its final one (or to now while it runs). */
  static duration(task: TaskEntry, now = Date.now()): number | undefined {
    const times = Object.values(task.timestamps).filter((t): t is number => typeof t === 'number');
    if (times.length === 0) return undefined;
    const start = Math.min(...times);
    const end = isFinalState(task.state) ? Math.max(...times) : now;
    return Math.max(0, end - start);
  }

  /** Each state the task went through with the time spent in it, in order. */
  static breakdown(task: TaskEntry): { state: TaskState; at: number; spent?: number }[] {
    const steps = TASK_STATES.filter(s => task.timestamps[s] !== undefined).map(state => ({
      state,
      at: task.timestamps[state] as number
    }));
    return steps.map((step, i) => ({
      ...step,
      spent: i + 1 < steps.length ? steps[i + 1].at - step.at : undefined
    }));
  }

  private insert(task: TaskEntry): void {
    this.byId.set(task.task_id, task);
    this.trim();
  }

  /** Forgets the oldest finished tasks beyond the number kept. */
  private trim(): void {
    for (const [id, entry] of this.byId) {
      if (this.byId.size <= this.keep) break;
      if (isFinalState(entry.state)) {
        this.byId.delete(id);
        this.announced.delete(id);
      }
    }
  }

  /** Emits the activity the task's state implies and that was not announced yet (started, then finished). */
  private announce(task: TaskEntry | undefined): void {
    if (!task?.endpoint_id) return;
    const ran = task.state === 'running' || task.timestamps.running !== undefined;
    if (!ran) return;
    const before = this.announced.get(task.task_id);
    const emit = (kind: TaskActivity['kind']) => {
      this.announced.set(task.task_id, kind);
      this._activity.emit({ endpoint_id: task.endpoint_id!, task_id: task.task_id, kind });
    };
    if (before === undefined) emit('started');
    if (isFinalState(task.state) && before !== 'finished') emit('finished');
  }

  private describe(task: TaskEntry): void {
    if (!this.lookup) return;
    this.lookup(task.task_id).then(
      record => {
        task.endpoint_id ??= record.endpoint_id;
        task.function_id = record.function_id;
        if (record.routing) task.routing ??= record.routing;
        task.timestamps = { ...record.timestamps, ...task.timestamps };
        this.announce(task);
        this._changed.emit();
      },
      () => undefined
    );
  }
}
