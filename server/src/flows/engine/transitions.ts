import {
  FLOW_MAP_MAX_CONCURRENCY,
  FLOW_MAP_MAX_ITEMS,
  type FlowError,
  type FlowRunRecord,
  type JsonValue,
  type MapState,
  type WaitState,
} from '@funcx/protocol';
import type { FlowThread, NewRunEvent } from '../../store/flow-store.js';
import { placeResult, stateOutput } from '../language/data-paths.js';
import { FLOW_ERRORS, FlowFailure, asFlowError, errorMatches } from '../language/flow-errors.js';
import { readPath } from '../language/paths.js';
import { evaluateTemplate } from '../language/templates.js';
import { childId, contextOf, eventValue, labelOf, stateOf, whereOf } from './run-scope.js';

/** What one step of a run changes, committed together; what follows the commit. */
export class Batch {
  readonly threads = new Map<string, FlowThread>();
  readonly deletes = new Set<string>();
  readonly events: NewRunEvent[] = [];
  run: FlowRunRecord | undefined;
  /** Threads to carry on with once committed. */
  readonly next: string[] = [];
  /** Side effects once committed (releasing and cancelling actions, scheduling polls). */
  readonly after: (() => void)[] = [];

  get empty(): boolean {
    return this.threads.size === 0 && this.deletes.size === 0 && this.events.length === 0 && !this.run;
  }
}

/** What the transitions need of the run they change. */
export interface RunState {
  run: FlowRunRecord;
  readonly threads: Map<string, FlowThread>;
  now(): number;
  /** A thread left the run (finished, failed with its Map, or its Map is done): stop its timers and watches. */
  dropped(thread: FlowThread): void;
  /** Cancel the action a thread started (its Map failed, or the run ended). */
  cancelAction(thread: FlowThread): void;
}

/**
 * How a run moves: from state to state, into and out of Map iterations, through Retry and Catch, to its end.
 * Each change goes into the in-memory threads at once (so that iterations ending together see each other) and
 * into a Batch that the driver commits as one.
 */
export class Transitions {
  constructor(private readonly state: RunState) {}

  put(batch: Batch, thread: FlowThread): FlowThread {
    this.state.threads.set(thread.thread_id, thread);
    batch.threads.set(thread.thread_id, thread);
    batch.deletes.delete(thread.thread_id);
    return thread;
  }

  private drop(batch: Batch, thread: FlowThread): void {
    this.state.threads.delete(thread.thread_id);
    batch.threads.delete(thread.thread_id);
    batch.deletes.add(thread.thread_id);
    this.state.dropped(thread);
  }

  private event(batch: Batch, thread: FlowThread, event: Omit<NewRunEvent, 'at' | 'state'> & { at?: number }): void {
    const full: NewRunEvent = { at: this.state.now(), state: labelOf(thread), ...event };
    if (thread.parent) full.item = thread.parent.index;
    batch.events.push(full);
  }

  /** The state produced `result`: ResultPath and OutputPath make its output, then it goes on (or fails on a bad path). */
  succeed(batch: Batch, thread: FlowThread, result: JsonValue): void {
    const state = stateOf(this.state.run, thread);
    let output: JsonValue;
    try {
      output = stateOutput(state as { ResultPath?: string | null; OutputPath?: string | null }, thread.input, result, contextOf(this.state.run, thread), whereOf(thread));
    } catch (error) {
      this.fail(batch, thread, asFlowError(error));
      return;
    }
    this.complete(batch, thread, 'Next' in state ? state.Next : undefined, output);
  }

  /** The state is done with `output`: to `next`, or the thread ends. */
  complete(batch: Batch, thread: FlowThread, next: string | undefined, output: JsonValue): void {
    this.event(batch, thread, { type: 'state_succeeded', output: eventValue(output) });
    if (next !== undefined) this.moveTo(batch, thread, next, output);
    else this.finishThread(batch, thread, output);
  }

  private moveTo(batch: Batch, thread: FlowThread, next: string, input: JsonValue): void {
    const moved = this.put(batch, {
      thread_id: thread.thread_id,
      ...(thread.parent ? { parent: thread.parent } : {}),
      scope: thread.scope,
      state: next,
      step: thread.step + 1,
      attempt: 0,
      phase: 'enter',
      input,
      entered_at: this.state.now(),
    });
    this.event(batch, moved, { type: 'state_entered', input: eventValue(input) });
    batch.next.push(moved.thread_id);
  }

  private finishThread(batch: Batch, thread: FlowThread, output: JsonValue): void {
    if (!thread.parent) {
      batch.run = { ...this.state.run, status: 'SUCCEEDED', output, completed_at: this.state.now() };
      batch.events.push({ at: this.state.now(), type: 'run_succeeded', output: eventValue(output) });
      return;
    }
    this.put(batch, { ...thread, phase: 'done', output, action: undefined });
    this.iterationEnded(batch, thread.parent.thread_id);
  }

  /** One iteration of a Map finished: start the next queued one; once all have, the Map's result is their outputs. */
  private iterationEnded(batch: Batch, parentId: string): void {
    const parent = this.state.threads.get(parentId);
    if (!parent || parent.phase !== 'map' || !parent.map) return;
    const map = { ...parent.map, finished: parent.map.finished + 1 };
    if (map.started < map.total) {
      const queued = this.state.threads.get(childId(parent, map.started));
      map.started++;
      if (queued) {
        const started = this.put(batch, { ...queued, phase: 'enter', entered_at: this.state.now() });
        this.event(batch, started, { type: 'state_entered', input: eventValue(started.input) });
        batch.next.push(started.thread_id);
      }
    }
    if (map.finished < map.total) {
      this.put(batch, { ...parent, map });
      return;
    }
    const outputs: JsonValue[] = [];
    for (let i = 0; i < map.total; i++) {
      const child = this.state.threads.get(childId(parent, i));
      outputs.push(child?.output ?? null);
      if (child) this.drop(batch, child);
    }
    this.succeed(batch, this.put(batch, { ...parent, map: undefined }), outputs);
  }

  /**
   * The state failed: a matching Retry schedules another attempt, else a matching Catch goes on with the error
   * in the input, else the thread fails (the run, or the iteration's Map).
   */
  fail(batch: Batch, thread: FlowThread, error: FlowError): void {
    const state = stateOf(this.state.run, thread);
    this.event(batch, thread, { type: 'state_failed', error });
    const retries = 'Retry' in state ? (state.Retry ?? []) : [];
    const retryIndex = retries.findIndex((rule) => errorMatches(rule.ErrorEquals, error.Error));
    if (retryIndex >= 0) {
      const rule = retries[retryIndex];
      const made = thread.retries?.[retryIndex] ?? 0;
      if (made < (rule.MaxAttempts ?? 3)) {
        const delayS = Math.min((rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** made, rule.MaxDelaySeconds ?? Infinity);
        const counts = [...(thread.retries ?? [])];
        counts[retryIndex] = made + 1;
        for (let i = 0; i < counts.length; i++) counts[i] ??= 0;
        const waiting = this.put(batch, { ...thread, phase: 'retry', attempt: thread.attempt + 1, retries: counts, wake_at: this.state.now() + delayS * 1000, action: undefined, map: undefined });
        this.event(batch, waiting, { type: 'retry_scheduled', until: waiting.wake_at, error });
        batch.next.push(waiting.thread_id);
        return;
      }
    }
    const catchers = 'Catch' in state ? (state.Catch ?? []) : [];
    const catchIndex = catchers.findIndex((rule) => errorMatches(rule.ErrorEquals, error.Error));
    if (catchIndex >= 0) {
      const rule = catchers[catchIndex];
      try {
        const output = placeResult(rule.ResultPath, thread.input, error as unknown as JsonValue, `${whereOf(thread)}.Catch[${catchIndex}].ResultPath`);
        this.event(batch, thread, { type: 'caught', error, output: eventValue(output) });
        this.moveTo(batch, thread, rule.Next, output);
        return;
      } catch (placing) {
        error = asFlowError(placing);
      }
    }
    this.failThread(batch, thread, error);
  }

  private failThread(batch: Batch, thread: FlowThread, error: FlowError): void {
    if (!thread.parent) {
      batch.run = { ...this.state.run, status: 'FAILED', error, completed_at: this.state.now() };
      batch.events.push({ at: this.state.now(), type: 'run_failed', error });
      for (const other of this.state.threads.values()) if (other !== thread) this.stopAction(batch, other);
      return;
    }
    const parent = this.state.threads.get(thread.parent.thread_id);
    if (!parent || !parent.map) return;
    for (let i = 0; i < parent.map.total; i++) {
      const child = this.state.threads.get(childId(parent, i));
      if (!child) continue;
      if (child !== thread) this.stopAction(batch, child);
      this.drop(batch, child);
    }
    const mapError: FlowError = { ...error, Cause: `item ${thread.parent.index}: ${error.Cause}` };
    this.fail(batch, this.put(batch, { ...parent, map: undefined }), mapError);
  }

  private stopAction(batch: Batch, thread: FlowThread): void {
    if (thread.phase === 'action' && thread.action?.action_id) batch.after.push(() => this.state.cancelAction(thread));
  }

  /** A Wait starts: until its time comes. */
  startWait(batch: Batch, thread: FlowThread, state: WaitState, input: JsonValue): void {
    const context = contextOf(this.state.run, thread);
    const where = whereOf(thread);
    const now = this.state.now();
    let wakeAt: number;
    if (state.Seconds !== undefined || state.SecondsPath !== undefined) {
      const seconds = state.Seconds ?? readPath(state.SecondsPath!, input, context, `${where}.SecondsPath`);
      if (typeof seconds !== 'number' || !(seconds >= 0)) throw new FlowFailure(FLOW_ERRORS.runtime, `${where}.SecondsPath: ${state.SecondsPath} is ${JSON.stringify(seconds)}, not a number of seconds`);
      wakeAt = now + seconds * 1000;
    } else {
      const timestamp = state.Timestamp ?? readPath(state.TimestampPath!, input, context, `${where}.TimestampPath`);
      wakeAt = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
      if (Number.isNaN(wakeAt)) throw new FlowFailure(FLOW_ERRORS.runtime, `${where}.TimestampPath: ${JSON.stringify(timestamp)} is not an ISO 8601 time`);
    }
    const waiting = this.put(batch, { ...thread, phase: 'waiting', wake_at: wakeAt });
    // One clock reading for both: the event says exactly how long the Wait is.
    this.event(batch, waiting, { type: 'wait_started', until: wakeAt, at: now });
    batch.next.push(waiting.thread_id);
  }

  /** A Map starts: one thread per item, as many running at once as MaxConcurrency allows, the rest queued. */
  async startMap(batch: Batch, thread: FlowThread, state: MapState, input: JsonValue): Promise<void> {
    const context = contextOf(this.state.run, thread);
    const where = whereOf(thread);
    const items = state.ItemsPath !== undefined ? readPath(state.ItemsPath, input, context, `${where}.ItemsPath`) : input;
    if (!Array.isArray(items)) throw new FlowFailure(FLOW_ERRORS.runtime, `${where}.ItemsPath: ${state.ItemsPath ?? '$'} is ${JSON.stringify(items)?.slice(0, 100)}, not a list`);
    if (items.length > FLOW_MAP_MAX_ITEMS) throw new FlowFailure(FLOW_ERRORS.runtime, `${where}.ItemsPath: ${items.length} items, more than the ${FLOW_MAP_MAX_ITEMS} a Map runs over`);
    const limit = Math.min(state.MaxConcurrency || FLOW_MAP_MAX_CONCURRENCY, FLOW_MAP_MAX_CONCURRENCY);
    const children: FlowThread[] = [];
    for (let i = 0; i < items.length; i++) {
      const itemContext = { ...(context as object), Map: { Item: { Index: i, Value: items[i] } } };
      const itemInput = state.ItemSelector ? await evaluateTemplate(state.ItemSelector, input, itemContext, `${where}.ItemSelector`) : items[i];
      children.push({
        thread_id: childId(thread, i),
        parent: { thread_id: thread.thread_id, index: i },
        scope: [...thread.scope, thread.state],
        state: state.ItemProcessor.StartAt,
        step: 0,
        attempt: 0,
        phase: i < limit ? 'enter' : 'queued',
        input: itemInput,
        entered_at: this.state.now(),
      });
    }
    if (this.state.threads.get(thread.thread_id) !== thread) return;
    const mapping = this.put(batch, { ...thread, phase: 'map', map: { total: items.length, started: Math.min(limit, items.length), finished: 0 } });
    this.event(batch, mapping, { type: 'map_started', items: items.length });
    if (items.length === 0) {
      this.succeed(batch, this.put(batch, { ...mapping, map: undefined }), []);
      return;
    }
    for (const child of children) {
      this.put(batch, child);
      if (child.phase !== 'enter') continue;
      this.event(batch, child, { type: 'state_entered', input: eventValue(child.input) });
      batch.next.push(child.thread_id);
    }
  }
}
