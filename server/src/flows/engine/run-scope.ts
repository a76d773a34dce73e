import type { FlowRunRecord, FlowState, JsonValue } from '@funcx/protocol';
import type { FlowThread } from '../../store/flow-store.js';
import { scopeStates } from '../language/validate.js';

/** Largest input, output or error (JSON characters) an event carries; a larger one is noted by its size. */
export const MAX_EVENT_VALUE_CHARS = 64 * 1024;

/** The definition of the state a thread is in. */
export function stateOf(run: FlowRunRecord, thread: FlowThread): FlowState {
  return scopeStates(run.definition, thread.scope).States[thread.state];
}

/** Where a state sits in the definition, as errors name it: `States.each.ItemProcessor.States.square`. */
export function whereOf(thread: FlowThread): string {
  return [...thread.scope.map((name) => `States.${name}.ItemProcessor.`), `States.${thread.state}`].join('');
}

/** How events and summaries name a thread's state: `square`, or `each/square` inside the Map `each`. */
export function labelOf(thread: FlowThread): string {
  return [...thread.scope, thread.state].join('/');
}

/** The id of a Map iteration: unique per visit and attempt of the Map state, so request ids never repeat. */
export function childId(parent: FlowThread, index: number): string {
  return `${parent.thread_id}.${parent.step}.${parent.attempt}.${index}`;
}

/** The request id of the action a thread starts in its current state, visit and attempt. */
export function requestIdOf(run: FlowRunRecord, thread: FlowThread): string {
  return `${run.run_id}:${thread.thread_id}:${thread.step}:${thread.attempt}`;
}

/** `$$` in paths and expressions: the run, the flow and the state. */
export function contextOf(run: FlowRunRecord, thread: FlowThread): JsonValue {
  const execution: { [key: string]: JsonValue } = { Id: run.run_id, Input: run.input, StartTime: new Date(run.created_at).toISOString(), Owner: run.owner };
  if (run.label !== undefined) execution.Label = run.label;
  return {
    Execution: execution,
    Flow: { Id: run.flow_id, Title: run.flow_title },
    State: { Name: thread.state, EnteredTime: new Date(thread.entered_at).toISOString(), RetryCount: thread.attempt },
  };
}

/** A value as an event carries it: itself, or a note of its size when it is too large to repeat in the log. */
export function eventValue(value: JsonValue): JsonValue {
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_EVENT_VALUE_CHARS) return value;
  return { truncated: true, json_chars: text.length };
}
