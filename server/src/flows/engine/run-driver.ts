import { createHash } from 'node:crypto';
import {
  DEFAULT_ACTION_WAIT_S,
  FLOW_MAX_TRANSITIONS,
  type ActionState,
  type ActionStatus,
  type FlowRunRecord,
  type JsonObject,
  type JsonValue,
} from '@funcx/protocol';
import type { FlowStore, FlowThread } from '../../store/flow-store.js';
import type { ActionContext } from '../actions/provider.js';
import { isFinalStatus, TransientActionError } from '../actions/provider.js';
import type { ActionProviders } from '../actions/providers.js';
import { choose } from '../language/choice.js';
import { selectInput, stateOutput } from '../language/data-paths.js';
import { FLOW_ERRORS, FlowFailure, asFlowError } from '../language/flow-errors.js';
import { evaluateTemplate } from '../language/templates.js';
import type { FlowClock } from './clock.js';
import { RunCommitter } from './committer.js';
import { contextOf, labelOf, requestIdOf, stateOf, whereOf } from './run-scope.js';
import { Batch, Transitions, type RunState } from './transitions.js';

export interface DriverSettings {
  /** First wait before polling an action again, doubled after each poll up to pollMaxMs. */
  pollMinMs: number;
  pollMaxMs: number;
  /** The hub's URL as providers reach it, for callback URLs (none: providers are only polled). */
  publicUrl?: string;
}

export interface DriverDeps {
  hubId: string;
  store: FlowStore;
  clock: FlowClock;
  providers: ActionProviders;
  settings: DriverSettings;
  onError: (error: unknown, what: string) => void;
  /** The run ended (or this hub lost it): the engine forgets the driver. */
  onStopped: (runId: string) => void;
}

/** Wait before carrying on with a thread whose step failed unexpectedly (the store was unreachable). */
const RETRY_STEP_MS = 1_000;

/** The secret part of an action's callback URL (a callback only makes the hub poll sooner). */
export function callbackToken(requestId: string): string {
  return createHash('sha256').update(requestId).digest('hex').slice(0, 32);
}

/**
 * Drives one run on this hub while it holds the run's lease: carries out each thread's state, starts and polls
 * actions, waits, and commits every transition before acting on it. A crash at any point leaves the store at the
 * last commit, from which the hub that claims the run next carries on: an action started but not yet recorded is started again
 * with the same request id (the provider answers with the same action), one recorded is polled.
 */
export class RunDriver implements RunState {
  readonly threads = new Map<string, FlowThread>();
  private readonly transitions = new Transitions(this);
  private readonly committer: RunCommitter;
  private readonly timers = new Map<string, unknown>();
  private readonly pollDelays = new Map<string, number>();
  private readonly unwatch = new Map<string, () => void>();
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();
  /** Threads whose current action may have been started before (read from the store, or a step that failed midway). */
  private readonly mayHaveStarted = new Set<string>();
  private stopped = false;
  private readonly ended: Promise<void>;
  private markEnded!: () => void;

  constructor(
    private readonly deps: DriverDeps,
    public run: FlowRunRecord,
    threads: FlowThread[],
  ) {
    for (const thread of threads) this.threads.set(thread.thread_id, thread);
    this.committer = new RunCommitter(deps.store, deps.hubId, run.run_id);
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
  }

  now(): number {
    return this.deps.clock.now();
  }

  /** Resolves once the run ended or this hub stopped driving it. */
  whenStopped(): Promise<void> {
    return this.ended;
  }

  /** Carries on with every thread (after a claim, first noting in the log which hub took the run over). */
  async start(resumedBy?: string): Promise<void> {
    if (resumedBy) for (const id of this.threads.keys()) this.mayHaveStarted.add(id);
    if (resumedBy && !(await this.committer.commit({ events: [{ at: this.now(), type: 'run_resumed', hub: resumedBy }] }))) return this.stop();
    for (const thread of [...this.threads.values()]) this.resume(thread);
  }

  /** What a thread does next, from its phase (as committed, or as just changed). */
  private resume(thread: FlowThread): void {
    if (this.stopped || this.threads.get(thread.thread_id) !== thread) return;
    const id = thread.thread_id;
    switch (thread.phase) {
      case 'enter':
        return this.work(id, () => this.enter(id));
      case 'action':
        return this.work(id, () => this.poll(id));
      case 'waiting':
      case 'retry':
        return this.at(id, thread.wake_at ?? this.now(), () => this.work(id, () => this.wake(id)));
      default:
        return;
    }
  }

  /** Runs one step of a thread at a time; a step asked for meanwhile runs after it. */
  private work(id: string, step: () => Promise<void>): void {
    if (this.stopped) return;
    if (this.busy.has(id)) {
      this.again.add(id);
      return;
    }
    this.busy.add(id);
    step()
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.mayHaveStarted.add(id);
        this.deps.onError(error, `run ${this.run.run_id}, thread ${id}`);
        this.at(id, this.now() + RETRY_STEP_MS, () => {
          const thread = this.threads.get(id);
          if (thread) this.resume(thread);
        });
      })
      .finally(() => {
        this.busy.delete(id);
        if (!this.again.delete(id)) return;
        const thread = this.threads.get(id);
        if (thread) this.resume(thread);
      });
  }

  private at(id: string, when: number, fire: () => void): void {
    this.clearTimer(id);
    this.timers.set(id, this.deps.clock.setTimer(() => {
      this.timers.delete(id);
      // Timers may fire a little before the wall clock reaches their time: a Wait never ends early.
      if (this.now() < when) return this.at(id, when, fire);
      fire();
    }, when - this.now()));
  }

  private clearTimer(id: string): void {
    const timer = this.timers.get(id);
    if (timer !== undefined) this.deps.clock.clearTimer(timer);
    this.timers.delete(id);
  }

  /** Commits a step; once it is durable, its side effects and the threads it moved carry on. */
  private async apply(batch: Batch): Promise<void> {
    if (this.stopped || batch.empty) return;
    const held = await this.committer.commit({
      threads: [...batch.threads.values()],
      deleteThreads: [...batch.deletes],
      events: batch.events,
      run: batch.run,
    });
    if (!held) return this.stop();
    if (batch.run) {
      this.run = batch.run;
      if (batch.run.status !== 'ACTIVE') {
        for (const effect of batch.after) effect();
        return this.stop();
      }
    }
    for (const effect of batch.after) effect();
    for (const id of batch.next) {
      // A thread moved on (a new state, attempt or iteration): its next action is new.
      this.mayHaveStarted.delete(id);
      const thread = this.threads.get(id);
      if (thread) this.resume(thread);
    }
  }

  /** Carries out the state a thread just entered. */
  private async enter(id: string): Promise<void> {
    const thread = this.threads.get(id);
    if (!thread || thread.phase !== 'enter') return;
    const state = stateOf(this.run, thread);
    const where = whereOf(thread);
    const context = contextOf(this.run, thread);
    const batch = new Batch();
    try {
      if (thread.step > FLOW_MAX_TRANSITIONS) throw new FlowFailure(FLOW_ERRORS.transitionLimit, `${where}: the run made more than ${FLOW_MAX_TRANSITIONS} transitions (a loop that never ends?)`);
      const input = selectInput(state.InputPath, thread.input, context, where);
      switch (state.Type) {
        case 'Pass': {
          const effective = state.Parameters ? await evaluateTemplate(state.Parameters, input, context, `${where}.Parameters`) : input;
          if (!this.current(thread)) return;
          this.transitions.succeed(batch, thread, state.Result !== undefined ? state.Result : effective);
          break;
        }
        case 'ExpressionEval': {
          const result = await evaluateTemplate(state.Parameters, input, context, `${where}.Parameters`);
          if (!this.current(thread)) return;
          this.transitions.succeed(batch, thread, result);
          break;
        }
        case 'Choice':
          this.transitions.complete(batch, thread, choose(state, input, context, where), passThrough(state.OutputPath, input, context, where));
          break;
        case 'Fail':
          throw new FlowFailure(state.Error ?? FLOW_ERRORS.failState, state.Cause ?? `the run reached the Fail state ${labelOf(thread)}`);
        case 'Wait':
          this.transitions.startWait(batch, thread, state, input);
          break;
        case 'Map':
          await this.transitions.startMap(batch, thread, state, input);
          break;
        case 'Action':
          if (!(await this.startAction(batch, thread, state, input))) return;
          break;
      }
    } catch (error) {
      if (!this.current(thread)) return;
      this.transitions.fail(batch, thread, asFlowError(error));
    }
    await this.apply(batch);
  }

  private current(thread: FlowThread): boolean {
    return !this.stopped && this.threads.get(thread.thread_id) === thread;
  }

  /** A Wait's time came (its input goes on), or a Retry's (the state is entered again). */
  private async wake(id: string): Promise<void> {
    const thread = this.threads.get(id);
    if (!thread) return;
    if (thread.phase === 'retry') {
      // Not committed: after a crash the retry's time has passed and the state is entered then.
      this.threads.set(id, { ...thread, phase: 'enter', entered_at: this.now() });
      return this.enter(id);
    }
    if (thread.phase !== 'waiting') return;
    const state = stateOf(this.run, thread);
    const where = whereOf(thread);
    const context = contextOf(this.run, thread);
    const batch = new Batch();
    try {
      const input = selectInput(state.InputPath, thread.input, context, where);
      this.transitions.complete(batch, thread, 'Next' in state ? state.Next : undefined, passThrough(state.OutputPath, input, context, where));
    } catch (error) {
      this.transitions.fail(batch, thread, asFlowError(error));
    }
    await this.apply(batch);
  }

  private contextFor(thread: FlowThread, requestId: string): ActionContext {
    const context: ActionContext = { owner: this.run.owner, runId: this.run.run_id, flowId: this.run.flow_id, requestId, label: `${this.run.flow_title}: ${labelOf(thread)}` };
    if (this.deps.settings.publicUrl) context.callbackUrl = `${this.deps.settings.publicUrl}/v1/flow-callbacks/${this.run.run_id}/${callbackToken(requestId)}`;
    return context;
  }

  /**
   * Starts the state's action (with its request id, so a second start after a crash is the same action) and
   * records it; false when there is nothing to commit yet (the provider could not be reached: tried again later).
   */
  private async startAction(batch: Batch, thread: FlowThread, state: ActionState, input: JsonValue): Promise<boolean> {
    const where = whereOf(thread);
    const params = state.Parameters ? await evaluateTemplate(state.Parameters, input, contextOf(this.run, thread), `${where}.Parameters`) : input;
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new FlowFailure(FLOW_ERRORS.runtime, `${where}: an action's Parameters (or, without them, its input) must be an object, not ${JSON.stringify(params)?.slice(0, 100)}`);
    }
    const requestId = requestIdOf(this.run, thread);
    const context = this.contextFor(thread, requestId);
    if (this.mayHaveStarted.has(thread.thread_id)) context.mayExist = true;
    const provider = this.deps.providers.get(state.ActionUrl);
    const waitMs = (state.WaitTime ?? DEFAULT_ACTION_WAIT_S) * 1000;
    let status: ActionStatus;
    try {
      status = await provider.run(context, params as JsonObject);
    } catch (error) {
      if (!(error instanceof TransientActionError)) throw error;
      if (this.now() >= thread.entered_at + waitMs) {
        throw new FlowFailure(FLOW_ERRORS.actionTimeout, `${where}: the action could not be started within its WaitTime (${waitMs / 1000} s): ${error.message}`);
      }
      const delay = this.nextPollDelay(thread.thread_id);
      this.at(thread.thread_id, this.now() + delay, () => this.work(thread.thread_id, () => this.enter(thread.thread_id)));
      return false;
    }
    if (!this.current(thread)) {
      provider.cancel(context, status.action_id).catch(() => undefined);
      return false;
    }
    this.pollDelays.delete(thread.thread_id);
    this.mayHaveStarted.delete(thread.thread_id);
    const started = this.transitions.put(batch, {
      ...thread,
      phase: 'action',
      action: { url: state.ActionUrl, request_id: requestId, action_id: status.action_id, status, started_at: this.now(), deadline_at: this.now() + waitMs },
    });
    batch.events.push(this.actionEvent(started, 'action_started', status));
    if (isFinalStatus(status)) this.actionEnded(batch, started, status);
    else batch.after.push(() => this.schedulePoll(started));
    return true;
  }

  private actionEvent(thread: FlowThread, type: 'action_started' | 'action_status', status: ActionStatus) {
    return { at: this.now(), type, state: labelOf(thread), ...(thread.parent ? { item: thread.parent.index } : {}), action: status };
  }

  /** A final status: the state succeeds with it (or fails, for a FAILED action unless ExceptionOnActionFailure is false). */
  private actionEnded(batch: Batch, thread: FlowThread, status: ActionStatus): void {
    const state = stateOf(this.run, thread) as ActionState;
    const action = thread.action!;
    batch.after.push(() => {
      this.deps.providers.get(action.url).release(this.contextFor(thread, action.request_id), status.action_id).catch(() => undefined);
    });
    if (status.status === 'SUCCEEDED' || state.ExceptionOnActionFailure === false) {
      this.transitions.succeed(batch, thread, status as unknown as JsonValue);
      return;
    }
    this.transitions.fail(batch, thread, { Error: FLOW_ERRORS.actionFailed, Cause: `${whereOf(thread)}: ${causeOf(status)}`, Details: status.details ?? null });
  }

  private nextPollDelay(id: string): number {
    const { pollMinMs, pollMaxMs } = this.deps.settings;
    const previous = this.pollDelays.get(id);
    const delay = previous === undefined ? pollMinMs : Math.min(previous * 2, pollMaxMs);
    this.pollDelays.set(id, delay);
    return delay;
  }

  private schedulePoll(thread: FlowThread): void {
    const id = thread.thread_id;
    if (!this.current(thread) || thread.phase !== 'action') return;
    const action = thread.action!;
    if (!this.unwatch.has(id)) {
      const stop = this.deps.providers.get(action.url).watch?.(this.contextFor(thread, action.request_id), action.action_id!, () => this.poke(id));
      if (stop) this.unwatch.set(id, stop);
    }
    const when = Math.min(this.now() + this.nextPollDelay(id), action.deadline_at);
    this.at(id, when, () => this.work(id, () => this.poll(id)));
  }

  /** Asks the provider how the action is doing; a final status ends the state, WaitTime's end cancels it. */
  private async poll(id: string): Promise<void> {
    const thread = this.threads.get(id);
    if (!thread || thread.phase !== 'action' || !thread.action?.action_id) return;
    this.clearTimer(id);
    const action = thread.action;
    const provider = this.deps.providers.get(action.url);
    const context = this.contextFor(thread, action.request_id);
    const batch = new Batch();
    let status: ActionStatus | undefined;
    try {
      status = await provider.status(context, action.action_id!);
    } catch (error) {
      if (!(error instanceof TransientActionError)) {
        if (!this.current(thread)) return;
        this.transitions.fail(batch, thread, asFlowError(error));
        return this.apply(batch);
      }
    }
    if (!this.current(thread)) return;
    let polled = thread;
    if (status && changed(action.status, status)) {
      polled = this.transitions.put(batch, { ...thread, action: { ...action, status } });
      batch.events.push(this.actionEvent(polled, 'action_status', status));
    }
    if (status && isFinalStatus(status)) {
      this.actionEnded(batch, polled, status);
    } else if (this.now() >= action.deadline_at) {
      provider.cancel(context, action.action_id!).catch(() => undefined);
      const waitS = Math.round((action.deadline_at - action.started_at) / 1000);
      this.transitions.fail(batch, polled, { Error: FLOW_ERRORS.actionTimeout, Cause: `${whereOf(thread)}: the action ran longer than its WaitTime (${waitS} s) and was cancelled` });
    } else {
      batch.after.push(() => this.schedulePoll(polled));
      if (batch.empty) return this.schedulePoll(polled);
    }
    await this.apply(batch);
  }

  /** Polls a thread's action now (its task finished, its provider called back): the poll delay starts over. */
  poke(id: string): void {
    const thread = this.threads.get(id);
    if (!thread || thread.phase !== 'action') return;
    this.pollDelays.delete(id);
    this.work(id, () => this.poll(id));
  }

  /** A callback arrived: polls the action whose request id the token names (or every action, not knowing which). */
  pokeByToken(token: string | undefined): void {
    for (const thread of this.threads.values()) {
      if (thread.phase !== 'action' || !thread.action) continue;
      if (token === undefined || callbackToken(thread.action.request_id) === token) this.poke(thread.thread_id);
    }
  }

  /** Ends the run as CANCELLED (committed first), then cancels the actions still running. */
  async cancel(): Promise<FlowRunRecord> {
    if (this.stopped) return this.run;
    const running = [...this.threads.values()].filter((thread) => thread.phase === 'action' && thread.action?.action_id);
    const cancelled: FlowRunRecord = { ...this.run, status: 'CANCELLED', completed_at: this.now() };
    delete cancelled.cancel_requested;
    this.stopTimers();
    const held = await this.committer.commit({ run: cancelled, events: [{ at: this.now(), type: 'run_cancelled' }] });
    if (held) {
      this.run = cancelled;
      for (const thread of running) this.cancelAction(thread);
    }
    this.stop();
    return this.run;
  }

  cancelAction(thread: FlowThread): void {
    const action = thread.action;
    if (!action?.action_id) return;
    this.deps.providers.get(action.url).cancel(this.contextFor(thread, action.request_id), action.action_id).catch(() => undefined);
  }

  dropped(thread: FlowThread): void {
    this.clearTimer(thread.thread_id);
    this.pollDelays.delete(thread.thread_id);
    this.unwatch.get(thread.thread_id)?.();
    this.unwatch.delete(thread.thread_id);
  }

  private stopTimers(): void {
    for (const thread of this.threads.values()) this.dropped(thread);
    for (const id of [...this.timers.keys()]) this.clearTimer(id);
  }

  /** Stops driving the run (it ended, this hub lost its lease, or the hub is closing). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTimers();
    this.markEnded();
    this.deps.onStopped(this.run.run_id);
  }
}

/** A state without a result (Choice, Wait): its input goes on through OutputPath. */
function passThrough(outputPath: string | null | undefined, input: JsonValue, context: JsonValue, where: string): JsonValue {
  return stateOutput({ ResultPath: null, OutputPath: outputPath }, input, null, context, where);
}

function changed(before: ActionStatus | undefined, after: ActionStatus): boolean {
  return !before || before.status !== after.status || before.display_status !== after.display_status;
}

/** What a failed action says went wrong: a Python exception's name and message, else its display status or details. */
function causeOf(status: ActionStatus): string {
  const details = status.details as { error?: { ename?: string; evalue?: string }; message?: string; description?: string } | null | undefined;
  if (details?.error?.ename) return `${details.error.ename}: ${details.error.evalue ?? ''}`.trim();
  const message = details?.message ?? details?.description;
  if (typeof message === 'string') return message;
  return `the action ${status.action_id} failed${status.display_status ? ` (${status.display_status})` : ''}`;
}
