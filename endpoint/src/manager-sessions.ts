import {
  SESSION_ENDED,
  sessionKey,
  sessionRestartedLine,
  type DispatchedTask,
  type SessionStatus,
  type TaskOutput,
} from '@funcx/protocol';
import { nowMs } from './reporter.js';
import { placeTask, type DispatchLimits } from './warm-dispatch.js';
import type { WorkerProcess } from './worker-process.js';

/** What the session table reads of a manager's task. */
export interface SessionEntry {
  readonly task: DispatchedTask;
  /** The container image it runs in ("" for none). */
  readonly image: string;
  done: boolean;
  /** Its session's namespace was fresh again when it ran: why (sent with its completion). */
  sessionRestarted?: string;
}

/** What the session table needs of its manager. */
export interface SessionHost<E extends SessionEntry> {
  workers(): readonly WorkerProcess[];
  limits(): DispatchLimits;
  /** Starts a worker for `image`; throws when a container for it cannot be launched. */
  spawnFor(image: string): WorkerProcess;
  /** Stops a worker and starts a fresh one for the same image in its slot. */
  recycle(worker: WorkerProcess): void;
  /** Binds a worker that has no user yet to this one (it gets that user's access to the endpoint's data store). */
  own?(worker: WorkerProcess, owner: string): void;
  /** Hands the task to the worker (the worker runs it at once: it holds nothing else). */
  assign(entry: E, worker: WorkerProcess): void;
  fail(entry: E, ename: string, evalue: string): void;
  output(taskId: string, output: TaskOutput): void;
  /** A session was released here (idle too long): the daemon forgets it, and tells its next task why. */
  gone(owner: string, name: string, reason: string): void;
  /** A session's status changed (a worker bound or lost, a task started or ended). */
  changed(): void;
}

interface Slot<E extends SessionEntry> {
  readonly key: string;
  readonly owner: string;
  readonly name: string;
  readonly image: string;
  worker?: WorkerProcess;
  running?: E;
  readonly queue: E[];
  /** The namespace its next task finds is fresh again: why. */
  restarted?: string;
  tasks: number;
  started: number;
  lastUsed: number;
  idleTimer?: NodeJS.Timeout;
}

/**
 * The sessions one manager holds: each is kept on one worker bound to it (it takes no other task, and none of
 * its tasks goes elsewhere), and its tasks run there one after another, in the order they came; the next is
 * handed over only when the one before has ended, so a cancelled task never runs. A session whose worker exits
 * (a crash, a timeout, a cancel that stopped it) keeps its place here; its next task gets a fresh worker and is
 * told so. A session without a task for `idleMs` is released: its worker is replaced by a fresh one.
 */
export class ManagerSessions<E extends SessionEntry> {
  private readonly slots = new Map<string, Slot<E>>();
  private readonly pending = new Set<Slot<E>>();
  private pumpQueued = false;

  constructor(
    private readonly host: SessionHost<E>,
    private readonly idleMs: number,
  ) {}

  get size(): number {
    return this.slots.size;
  }

  /** Tasks of sessions waiting for their turn. */
  get queued(): number {
    let count = 0;
    for (const slot of this.slots.values()) count += slot.queue.length;
    return count;
  }

  submit(entry: E): void {
    const { owner, session: name, session_restarted: restarted } = entry.task;
    const key = sessionKey(owner, name!);
    let slot = this.slots.get(key);
    if (!slot) {
      const now = nowMs();
      slot = { key, owner, name: name!, image: entry.image, queue: [], tasks: 0, started: now, lastUsed: now };
      if (restarted !== undefined) slot.restarted = restarted;
      this.slots.set(key, slot);
    }
    clearTimeout(slot.idleTimer);
    slot.queue.push(entry);
    this.schedule(slot);
  }

  /** A session task ended (or was settled while it waited). */
  finished(entry: E): void {
    const slot = this.slots.get(sessionKey(entry.task.owner, entry.task.session!));
    if (!slot) return;
    if (slot.running === entry) {
      slot.running = undefined;
      slot.tasks++;
      slot.lastUsed = nowMs();
      this.host.changed();
    } else {
      const index = slot.queue.indexOf(entry);
      if (index !== -1) slot.queue.splice(index, 1);
    }
    // Later: a task that failed because its worker is being stopped is settled before the worker is killed.
    this.schedule(slot);
  }

  /** A worker is ready: its session's next task can go, or a session waiting for a worker may take it. */
  workerReady(worker: WorkerProcess): void {
    const slot = worker.session === undefined ? undefined : this.slots.get(worker.session);
    if (slot && slot.worker === worker) this.schedule(slot);
    else this.wake();
  }

  /** A worker may have come free: sessions that wait for one try again. */
  wake(): void {
    for (const slot of this.slots.values()) if (!slot.worker && !slot.running && slot.queue.length > 0) this.schedule(slot);
  }

  /** A worker exited: the session it held starts again in a fresh namespace, and its next task says why. */
  workerExited(worker: WorkerProcess, how: string): void {
    const slot = worker.session === undefined ? undefined : this.slots.get(worker.session);
    if (!slot || slot.worker !== worker) return;
    slot.worker = undefined;
    slot.restarted = worker.stopReason ?? `the worker that held it exited (${how})`;
    this.host.changed();
    this.schedule(slot);
  }

  /** A worker the manager is about to stop: its session's next task is told why. */
  stopping(worker: WorkerProcess, reason: string): void {
    if (worker.session !== undefined) worker.stopReason ??= reason;
  }

  /** Ends sessions (their user asked): waiting and running tasks fail, workers are replaced. Returns those ended. */
  end(sessions: { owner: string; name: string }[]): string[] {
    const ended: string[] = [];
    for (const { owner, name } of sessions) {
      const slot = this.slots.get(sessionKey(owner, name));
      if (!slot) continue;
      this.drop(slot);
      ended.push(name);
      for (const entry of slot.queue.splice(0)) {
        if (!entry.done) this.host.fail(entry, SESSION_ENDED, `session ${name} was ended before this task ran`);
      }
      if (slot.running && !slot.running.done) this.host.fail(slot.running, SESSION_ENDED, `session ${name} was ended while this task ran`);
    }
    return ended;
  }

  status(): SessionStatus[] {
    const out: SessionStatus[] = [];
    for (const slot of this.slots.values()) {
      const state = slot.running ? 'busy' : slot.worker?.ready ? 'ready' : 'starting';
      const status: SessionStatus = { owner: slot.owner, name: slot.name, state, tasks: slot.tasks, queued: slot.queue.length, last_used: slot.lastUsed, started: slot.started };
      if (slot.restarted !== undefined) status.restarted = slot.restarted;
      out.push(status);
    }
    return out;
  }

  stop(): void {
    for (const slot of this.slots.values()) clearTimeout(slot.idleTimer);
  }

  private drop(slot: Slot<E>): void {
    this.slots.delete(slot.key);
    this.pending.delete(slot);
    clearTimeout(slot.idleTimer);
    const worker = slot.worker;
    slot.worker = undefined;
    if (worker && !worker.exited) this.host.recycle(worker);
  }

  private schedule(slot: Slot<E>): void {
    this.pending.add(slot);
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      const slots = [...this.pending];
      this.pending.clear();
      for (const each of slots) if (this.slots.get(each.key) === each) this.pump(each);
    });
  }

  /** Hands the session's next task to its worker, binding one first when it has none. */
  private pump(slot: Slot<E>): void {
    if (slot.running) return;
    while (slot.queue.length > 0 && slot.queue[0].done) slot.queue.shift();
    const entry = slot.queue[0];
    if (!entry) return this.armIdle(slot);
    const worker = slot.worker ?? this.bind(slot, entry);
    if (!worker || !worker.ready || worker.killed || worker.exited) return;
    slot.queue.shift();
    slot.running = entry;
    if (slot.restarted !== undefined) {
      entry.sessionRestarted = slot.restarted;
      slot.restarted = undefined;
      slot.tasks = 0;
      slot.started = nowMs();
      this.host.output(entry.task.task_id, { output_type: 'stream', name: 'stderr', text: sessionRestartedLine(slot.name, entry.sessionRestarted) });
    }
    slot.lastUsed = nowMs();
    this.host.assign(entry, worker);
    this.host.changed();
  }

  /** A worker for the session: a warm one of its user, or one started for it; undefined while none is free. */
  private bind(slot: Slot<E>, entry: E): WorkerProcess | undefined {
    const placement = placeTask(slot.image, slot.owner, this.host.workers(), this.host.limits());
    let worker: WorkerProcess;
    switch (placement.action) {
      case 'run':
        worker = placement.worker;
        break;
      case 'start':
        try {
          worker = this.host.spawnFor(slot.image);
        } catch (error) {
          slot.queue.shift();
          this.host.fail(entry, 'ContainerError', (error as Error).message);
          this.schedule(slot);
          return undefined;
        }
        break;
      case 'repurpose':
        this.host.recycle(placement.worker);
        return undefined;
      case 'wait':
        return undefined;
    }
    worker.session = slot.key;
    if (worker.owner === undefined) {
      if (this.host.own) this.host.own(worker, slot.owner);
      else worker.owner = slot.owner;
    }
    slot.worker = worker;
    this.host.changed();
    return worker;
  }

  private armIdle(slot: Slot<E>): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (this.slots.get(slot.key) !== slot || slot.running || slot.queue.length > 0) return;
      this.drop(slot);
      // A namespace lost before (its worker exited) was lost for that reason, not for being idle.
      this.host.gone(slot.owner, slot.name, slot.restarted ?? `it was idle for ${this.idleMs / 1000} s and was released`);
    }, this.idleMs);
    slot.idleTimer.unref();
  }
}
