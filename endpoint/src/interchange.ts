import {
  MANAGER_LOST_AFTER_MS,
  SESSION_ENDED,
  loadChanged,
  sessionKey,
  type DispatchedTask,
  type EndpointLoad,
  type FunctionCode,
  type DaemonTasksFrame,
  type ManagerFrame,
  type TaskCompletion,
  type WarmImage,
} from '@funcx/protocol';
import { DaemonSessions, SessionRefusal } from './daemon-sessions.js';
import { NO_LEDGER, type TaskLedger } from './ledger.js';
import type { Log } from './log.js';
import { type DaemonTask, type ManagerLink } from './manager-link.js';
import { ReadySet } from './ready-set.js';
import { nowMs, type TaskReporter } from './reporter.js';
import { TaskQueue } from './task-queue.js';

export interface InterchangeOptions {
  reporter: TaskReporter;
  log: Log;
  ledger?: TaskLedger;
  /** Runs of a task whose manager was lost under it, beyond the first (config max_retries_on_system_failure). */
  maxRetries: number;
  /** Nodes per block: an MPI task asking for more can never run here. */
  nodesPerBlock?: number;
  onContainerProblem?: (image: string, message: string) => void;
  /** Sessions: which manager holds each, and the endpoint's cap (default: none allowed). */
  sessions?: DaemonSessions;
  /** A manager joined, became ready, failed to start its workers, or was lost. */
  onManager?: (link: ManagerLink, event: 'joined' | 'ready' | 'failed' | 'lost', detail?: string) => void;
  /** A manager reported a load that differs from its last one (a task started or ended there). */
  onLoadChanged?: () => void;
}

/** The ename of a task whose manager (its node, its block) was lost under it more often than it may be run again. */
export const MANAGER_LOST = 'ManagerLost';
const LIVENESS_CHECK_MS = 1_000;
/**
 * A manager with the room is sent at least this share of its capacity, however few tasks wait: tasks that trickle
 * in go round the managers in frames of several (16 for 64 workers and 64 prefetch), not one task to each of
 * thousands. A manager of fewer than 16 slots gets the even share as before.
 */
const LEAST_SHARE_OF_CAPACITY = 1 / 8;

/**
 * The daemon's queue and its managers: tasks from the hub wait here (waiting-for-nodes) until a manager has room
 * for them, go out in batches up to each manager's capacity (its workers plus prefetch), and their states,
 * outputs and completions come back through the reporter. A manager that is lost (its connection closed, a bad
 * frame, no heartbeat) gives its tasks back to the front of the queue, each up to `maxRetries` times.
 */
export class Interchange {
  readonly links = new Set<ManagerLink>();
  /** The links with room, noted after every change to a link's room, so dispatch never scans every manager. */
  private readonly withRoom = new ReadySet<ManagerLink>((link) => link.room);
  private readonly tasks = new Map<string, DaemonTask>();
  private readonly functions = new Map<string, FunctionCode>();
  private readonly queue = new TaskQueue<DaemonTask>();
  private readonly mpiQueue: DaemonTask[] = [];
  private readonly suspects: DaemonTask[] = [];
  /** Session tasks waiting for a manager to hold their session (none is ready yet), in arrival order. */
  private readonly sessionWaiting: DaemonTask[] = [];
  readonly sessions: DaemonSessions;
  private queuedCount = 0;
  private pumpQueued = false;
  /** Tasks submitted since the last pump, with when they arrived. */
  private arrivals: { entries: DaemonTask[]; at: number }[] = [];
  private readonly ledger: TaskLedger;
  private readonly liveness: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: InterchangeOptions) {
    this.ledger = options.ledger ?? NO_LEDGER;
    this.sessions = options.sessions ?? new DaemonSessions(0);
    this.liveness = setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    this.liveness.unref();
  }

  /** Tasks waiting at the daemon for a manager. */
  get queued(): number {
    return this.queuedCount + this.mpiQueue.length + this.suspects.length + this.sessionWaiting.length;
  }

  /** Tasks the daemon holds, queued or at managers. */
  get outstanding(): number {
    return this.tasks.size;
  }

  submit(tasks: DispatchedTask[], functions: FunctionCode[] = []): void {
    for (const code of functions) this.functions.set(code.function_id, code);
    const now = nowMs();
    const since = performance.now();
    const fresh: DaemonTask[] = [];
    for (const task of tasks) {
      if (this.tasks.has(task.task_id)) continue;
      const entry: DaemonTask = { task, state: 'waiting-for-nodes', timestamps: {}, since, done: false, systemFailures: 0 };
      this.tasks.set(task.task_id, entry);
      fresh.push(entry);
      this.ledger.queued(task.task_id);
      if (task.session !== undefined) this.sessionWaiting.push(entry);
      else if (this.ledger.crashes(task.task_id) > 0) {
        entry.suspect = true;
        this.suspects.push(entry);
      } else if (task.resource_specification) {
        const nodes = this.options.nodesPerBlock ?? 1;
        if (task.resource_specification.num_nodes > nodes) {
          const evalue = `the task asks for ${task.resource_specification.num_nodes} nodes; this endpoint's blocks have ${nodes} (nodes_per_block)`;
          entry.timestamps.failed = now;
          this.finish(entry, { task_id: task.task_id, state: 'failed', timestamps: entry.timestamps, error: { ename: 'ResourceError', evalue, traceback: [`ResourceError: ${evalue}`] } });
        } else this.mpiQueue.push(entry);
      }
      else {
        this.queue.push(entry);
        this.queuedCount++;
      }
    }
    if (fresh.length > 0) this.arrivals.push({ entries: fresh, at: now });
    // Dispatched on the next turn of the event loop with whatever else arrives in this one: a manager gets one
    // frame for all of it, not one per message from the hub.
    this.schedule();
  }

  /** What no manager took at once waits for nodes (since it arrived): its state says so once that lasts. */
  private markWaiting(): void {
    const arrivals = this.arrivals;
    this.arrivals = [];
    for (const { entries, at } of arrivals) {
      for (const entry of entries) {
        if (entry.done || entry.link) continue;
        entry.timestamps['waiting-for-nodes'] = at;
        this.options.reporter.stateChanged(entry);
      }
    }
  }

  /** Queued tasks end cancelled here; tasks at managers are cancelled there. Returns the ids it held. */
  cancel(taskIds: string[]): string[] {
    const held: string[] = [];
    const atLinks = new Map<ManagerLink, string[]>();
    for (const id of taskIds) {
      const entry = this.tasks.get(id);
      if (!entry || entry.done) continue;
      held.push(id);
      const link = entry.link;
      if (link) {
        let ids = atLinks.get(link);
        if (!ids) atLinks.set(link, (ids = []));
        ids.push(id);
        continue;
      }
      if (!entry.suspect && !entry.task.resource_specification && entry.task.session === undefined) this.queuedCount--;
      entry.timestamps.cancelled = nowMs();
      this.finish(entry, { task_id: id, state: 'cancelled', timestamps: entry.timestamps });
    }
    for (const [link, ids] of atLinks) link.send({ t: 'cancel', task_ids: ids });
    return held;
  }

  held(): string[] {
    return [...this.tasks.keys()];
  }

  load(): EndpointLoad {
    let total = 0;
    let busy = 0;
    let queued = this.queued;
    let running = 0;
    const images = new Map<string, WarmImage>();
    for (const link of this.links) {
      const load = link.load;
      total += load.workers_total;
      busy += load.workers_busy;
      queued += load.queued;
      running += load.running;
      for (const warm of load.warm_images) {
        const sum = images.get(warm.image);
        if (sum) {
          sum.workers += warm.workers;
          sum.idle += warm.idle;
        } else images.set(warm.image, { ...warm });
      }
    }
    const warm_images = [...images.values()].sort((a, b) => b.workers - a.workers);
    return { workers_total: total, workers_busy: busy, queued, running, warm_images, sessions: this.sessions.status(this.links) };
  }

  // ---- managers ----

  attach(link: ManagerLink): void {
    this.links.add(link);
    this.options.onManager?.(link, 'joined');
  }

  /** The manager takes no more tasks; it exits once those it holds are done. */
  drain(link: ManagerLink): void {
    if (link.draining) return;
    link.draining = true;
    this.withRoom.note(link);
    link.send({ t: 'drain' });
  }

  onFrame(link: ManagerLink, frame: ManagerFrame): void {
    switch (frame.t) {
      case 'done':
        link.capacity = frame.capacity;
        return this.completed(link, frame.completions);
      case 'states':
        for (const update of frame.updates) {
          const entry = this.tasks.get(update.task_id);
          if (!entry || entry.link !== link || entry.done) continue;
          const queuedAt = entry.timestamps['waiting-for-nodes'];
          Object.assign(entry.timestamps, update.timestamps);
          if (queuedAt !== undefined) entry.timestamps['waiting-for-nodes'] = queuedAt;
          entry.state = update.state;
          if (update.streams) entry.streams = true;
          // The manager reported it because it lasted there: it goes on at once.
          entry.since = -Infinity;
          this.options.reporter.stateChanged(entry);
        }
        return;
      case 'outputs':
        for (const update of frame.updates) {
          const entry = this.tasks.get(update.task_id);
          if (entry && entry.link === link && !entry.done) this.options.reporter.output(update.task_id, update.output);
        }
        return;
      case 'load': {
        const changed = loadChanged(link.load, frame.load);
        if (frame.load.sessions?.length || link.load.sessions?.length) this.sessions.reported(link.load.sessions, frame.load.sessions);
        link.load = frame.load;
        link.capacity = frame.capacity;
        if (!link.ready && frame.load.workers_total > 0) {
          link.ready = true;
          this.options.onManager?.(link, 'ready');
        }
        this.withRoom.note(link);
        if (changed) this.options.onLoadChanged?.();
        return this.schedule();
      }
      case 'log':
        return this.options.log(frame.level, `${link.label}: ${frame.line}`);
      case 'container-problem':
        return this.options.onContainerProblem?.(frame.image, frame.message);
      case 'failed':
        this.options.onManager?.(link, 'failed', frame.reason);
        return;
      case 'session-gone':
        return this.sessions.gone(link, frame.owner, frame.name, frame.reason);
      case 'register':
        return link.close('it registered twice');
    }
  }

  private completed(link: ManagerLink, completions: TaskCompletion[]): void {
    for (const completion of completions) {
      const entry = this.tasks.get(completion.task_id);
      if (!entry || entry.link !== link || entry.done) continue;
      link.held.delete(completion.task_id);
      const queuedAt = entry.timestamps['waiting-for-nodes'];
      if (queuedAt !== undefined) completion.timestamps['waiting-for-nodes'] = queuedAt;
      if (link.quarantine === entry) link.quarantine = undefined;
      this.finish(entry, completion);
    }
    this.withRoom.note(link);
    this.schedule();
  }

  /** The manager is gone: what it held goes back to the queue, or fails once it was lost under it too often. */
  lost(link: ManagerLink, reason: string): void {
    if (!this.links.delete(link)) return;
    this.withRoom.remove(link);
    this.options.onManager?.(link, 'lost', reason);
    if (this.stopped) return;
    this.sessions.lost(link, reason);
    const back: DaemonTask[] = [];
    const now = nowMs();
    const max = this.options.maxRetries;
    for (const entry of link.held.values()) {
      if (entry.done) continue;
      entry.link = undefined;
      entry.systemFailures++;
      if (entry.systemFailures > max) {
        const evalue =
          `the ${link.label} was lost while it held this task (${reason}); it was lost under it ` +
          `${entry.systemFailures} time(s), and max_retries_on_system_failure is ${max}`;
        entry.timestamps.failed = now;
        this.finish(entry, { task_id: entry.task.task_id, state: 'failed', timestamps: entry.timestamps, error: { ename: MANAGER_LOST, evalue, traceback: [`${MANAGER_LOST}: ${evalue}`] } });
        continue;
      }
      entry.state = 'waiting-for-nodes';
      entry.timestamps['waiting-for-nodes'] ??= now;
      entry.since = performance.now();
      this.ledger.queued(entry.task.task_id);
      back.push(entry);
      this.options.reporter.stateChanged(entry);
    }
    link.held.clear();
    if (back.length > 0) this.options.log('warn', `${link.label} was lost (${reason}): ${back.length} task(s) go back to the queue`);
    for (let i = back.length - 1; i >= 0; i--) {
      const entry = back[i];
      if (entry.task.session !== undefined) this.sessionWaiting.unshift(entry);
      else if (entry.suspect) this.suspects.unshift(entry);
      else if (entry.task.resource_specification) this.mpiQueue.unshift(entry);
      else {
        this.queue.unshift(entry);
        this.queuedCount++;
      }
    }
    this.schedule();
  }

  private checkLiveness(): void {
    const oldest = performance.now() - MANAGER_LOST_AFTER_MS;
    for (const link of this.links) {
      if (link.lastSeen < oldest) link.close(`it sent nothing for ${MANAGER_LOST_AFTER_MS / 1000} s`);
    }
  }

  // ---- dispatch ----

  private schedule(): void {
    if (this.pumpQueued || (this.stopped && this.arrivals.length === 0)) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
      this.markWaiting();
    });
  }

  /**
   * Sends waiting tasks to managers with room: suspects alone first, then MPI tasks, then the rest spread evenly
   * (at least LEAST_SHARE_OF_CAPACITY of a manager's capacity each), managers served last time going last. Each
   * manager gets at most one frame per pump, and the ledger is written once before any of them leaves.
   */
  private pump(): void {
    if (this.stopped || this.links.size === 0) return;
    if (this.sessionWaiting.length > 0) this.pumpSessions();
    if (this.suspects.length > 0 && !this.pumpSuspects()) return;
    if (this.mpiQueue.length > 0) this.pumpMpi();
    if (this.queuedCount === 0) return;
    const outgoing = new Map<ManagerLink, DaemonTasksFrame>();
    while (this.queuedCount > 0 && this.withRoom.size > 0) {
      const share = Math.ceil(this.queuedCount / this.withRoom.size);
      let sent = 0;
      for (const link of this.withRoom) {
        const room = link.room;
        if (room <= 0) {
          this.withRoom.remove(link);
          continue;
        }
        const least = Math.max(1, Math.floor(link.capacity * LEAST_SHARE_OF_CAPACITY));
        const batch = this.take(Math.min(room, Math.max(share, least)));
        if (batch.length === 0) break;
        let frame = outgoing.get(link);
        if (!frame) outgoing.set(link, (frame = { t: 'tasks', tasks: [], functions: [] }));
        this.assign(link, batch, frame);
        sent += batch.length;
        if (this.queuedCount === 0) break;
      }
      if (sent === 0) break;
    }
    if (outgoing.size === 0) return;
    for (const link of outgoing.keys()) this.withRoom.toBack(link);
    // Noted before the tasks leave, so whatever kills the daemon next finds them at a worker.
    this.ledger.flush();
    for (const [link, frame] of outgoing) link.send(frame);
  }

  /**
   * Session tasks go to the manager of their session whatever its room (it runs them one after another on the
   * session's worker); a new session goes to the ready manager with the most room, in the order tasks came.
   */
  private pumpSessions(): void {
    const waiting = this.sessionWaiting.splice(0);
    const choose = () => {
      let best: ManagerLink | undefined;
      for (const link of this.links) {
        if (!link.ready || link.draining || link.closed || link.quarantine) continue;
        if (!best || link.room > best.room) best = link;
      }
      return best;
    };
    for (const entry of waiting) {
      if (entry.done) continue;
      const placed = this.sessions.place(entry, choose);
      if (placed instanceof SessionRefusal) {
        entry.timestamps.failed = nowMs();
        const error = { ename: placed.ename, evalue: placed.evalue, traceback: [`${placed.ename}: ${placed.evalue}`] };
        this.finish(entry, { task_id: entry.task.task_id, state: 'failed', timestamps: entry.timestamps, error });
      } else if (placed) this.sendTo(placed, [entry]);
      else this.sessionWaiting.push(entry);
    }
  }

  /** Ends sessions: their waiting tasks here fail, their managers stop their workers. */
  endSessions(sessions: { owner: string; name: string }[]): void {
    const ended = new Set(sessions.map((session) => sessionKey(session.owner, session.name)));
    for (let i = this.sessionWaiting.length - 1; i >= 0; i--) {
      const entry = this.sessionWaiting[i];
      if (entry.done || !ended.has(sessionKey(entry.task.owner, entry.task.session!))) continue;
      this.sessionWaiting.splice(i, 1);
      const evalue = `session ${entry.task.session} was ended before this task ran`;
      entry.timestamps.failed = nowMs();
      this.finish(entry, { task_id: entry.task.task_id, state: 'failed', timestamps: entry.timestamps, error: { ename: SESSION_ENDED, evalue, traceback: [`${SESSION_ENDED}: ${evalue}`] } });
    }
    this.sessions.end(sessions);
  }

  /** True once no suspect waits; a suspect goes to a manager that holds nothing, and nothing else follows it. */
  private pumpSuspects(): boolean {
    while (this.suspects.length > 0) {
      const entry = this.suspects[0];
      if (entry.done) {
        this.suspects.shift();
        continue;
      }
      const idle = this.firstWithRoom((link) => link.held.size === 0);
      if (!idle) return false;
      this.suspects.shift();
      this.sendTo(idle, [entry]);
      idle.quarantine = entry;
      this.withRoom.note(idle);
      this.options.log('info', `task ${entry.task.task_id} was at a worker when an earlier daemon died: it runs alone`);
    }
    return true;
  }

  private pumpMpi(): void {
    for (let i = 0; i < this.mpiQueue.length; ) {
      const entry = this.mpiQueue[i];
      if (entry.done) {
        this.mpiQueue.splice(i, 1);
        continue;
      }
      const nodes = entry.task.resource_specification!.num_nodes;
      const fits = this.firstWithRoom((link) => link.register.block_nodes.length >= nodes);
      if (!fits) {
        i++;
        continue;
      }
      this.mpiQueue.splice(i, 1);
      this.sendTo(fits, [entry]);
    }
  }

  private firstWithRoom(fits: (link: ManagerLink) => boolean): ManagerLink | undefined {
    for (const link of this.withRoom) if (link.room > 0 && fits(link)) return link;
    return undefined;
  }

  private take(count: number): DaemonTask[] {
    const batch: DaemonTask[] = [];
    while (batch.length < count) {
      const entry = this.queue.peek();
      if (!entry) break;
      this.queue.shift();
      this.queuedCount--;
      batch.push(entry);
    }
    return batch;
  }

  private sendTo(link: ManagerLink, batch: DaemonTask[]): void {
    const frame: DaemonTasksFrame = { t: 'tasks', tasks: [], functions: [] };
    this.assign(link, batch, frame);
    this.ledger.flush();
    link.send(frame);
  }

  /** The tasks are the link's from now on; they go out in `frame`, with the code of functions new to it. */
  private assign(link: ManagerLink, batch: DaemonTask[], frame: DaemonTasksFrame): void {
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i];
      entry.link = link;
      link.held.set(entry.task.task_id, entry);
      frame.tasks.push(entry.task);
      const functionId = entry.task.function_id;
      if (!link.functionsSent.has(functionId)) {
        link.functionsSent.add(functionId);
        const code = this.functions.get(functionId);
        if (code) frame.functions.push(code);
      }
      this.ledger.atWorker(entry.task.task_id);
    }
    this.withRoom.note(link);
  }

  private finish(entry: DaemonTask, completion: TaskCompletion): void {
    entry.done = true;
    entry.state = completion.state;
    entry.link = undefined;
    this.tasks.delete(entry.task.task_id);
    this.ledger.ended(entry.task.task_id);
    this.options.reporter.done(completion);
  }

  /** Stops every manager (they stop their workers) and forgets them. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.liveness);
    for (const link of this.links) {
      link.send({ t: 'stop' });
    }
  }
}
