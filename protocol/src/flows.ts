import type { JsonObject, JsonValue } from './json.js';
import type { Sharing } from './sharing.js';

/**
 * A flow definition: states and the transitions between them, in the shape of Globus Flows and the Amazon States
 * Language. docs/flows.md describes every field; the hub checks a definition against a JSON schema and a set
 * of semantic rules when it is uploaded.
 */
export interface FlowDefinition {
  Comment?: string;
  StartAt: string;
  States: { [name: string]: FlowState };
}

export type FlowStateType = 'Action' | 'Pass' | 'Choice' | 'Wait' | 'Fail' | 'ExpressionEval' | 'Map';

export const FLOW_STATE_TYPES: readonly FlowStateType[] = ['Action', 'Pass', 'Choice', 'Wait', 'Fail', 'ExpressionEval', 'Map'];

/**
 * Where in the data a state reads or writes: a JSONPath starting at `$` (the state's input) or `$$` (the
 * context: the run, the state, a Map item). `null` as InputPath gives the state `{}`; as ResultPath or
 * OutputPath it drops the result or the output.
 */
export type FlowPath = string | null;

/**
 * A template: keys ending in `.$` take the value at a JSONPath, keys ending in `.=` the value of an expression
 * (JSONata), other keys their value as written; nested objects and arrays are templates too.
 */
export type FlowParameters = JsonObject;

interface StateFields {
  Type: FlowStateType;
  Comment?: string;
  InputPath?: FlowPath;
  OutputPath?: FlowPath;
}

interface Transition {
  Next?: string;
  End?: boolean;
}

export interface CatchRule {
  ErrorEquals: string[];
  Next: string;
  /** Where the error ({Error, Cause, Details?}) goes in the state's input; default `$` (the error replaces it). */
  ResultPath?: FlowPath;
}

export interface RetryRule {
  ErrorEquals: string[];
  /** Wait before the first retry (default 1). */
  IntervalSeconds?: number;
  /** Retries after the first attempt (default 3; 0 never retries). */
  MaxAttempts?: number;
  /** Each wait is this many times the previous one (default 2). */
  BackoffRate?: number;
  /** No wait is longer than this. */
  MaxDelaySeconds?: number;
}

export interface PassState extends StateFields, Transition {
  Type: 'Pass';
  Parameters?: FlowParameters;
  Result?: JsonValue;
  ResultPath?: FlowPath;
}

export interface ActionState extends StateFields, Transition {
  Type: 'Action';
  /** `funcx` (the hub's own funcX action) or the http(s) URL of an action provider. */
  ActionUrl: string;
  Parameters?: FlowParameters;
  ResultPath?: FlowPath;
  /** Seconds the action may take before it is cancelled and the state fails with ActionTimeout (default 300). */
  WaitTime?: number;
  /** A failed action fails the state (default true); false puts its final status at ResultPath and goes on. */
  ExceptionOnActionFailure?: boolean;
  Catch?: CatchRule[];
  Retry?: RetryRule[];
}

export interface ExpressionEvalState extends StateFields, Transition {
  Type: 'ExpressionEval';
  Parameters: FlowParameters;
  ResultPath?: FlowPath;
  Catch?: CatchRule[];
}

export interface WaitState extends StateFields, Transition {
  Type: 'Wait';
  Seconds?: number;
  SecondsPath?: string;
  /** An ISO 8601 time to wait until. */
  Timestamp?: string;
  TimestampPath?: string;
}

export interface FailState extends StateFields {
  Type: 'Fail';
  Error?: string;
  Cause?: string;
}

export interface MapState extends StateFields, Transition {
  Type: 'Map';
  /** The list to run the item processor over (default `$`). */
  ItemsPath?: string;
  /** A template for each iteration's input; `$$.Map.Item.Value` and `$$.Map.Item.Index` name the item. */
  ItemSelector?: FlowParameters;
  /** The states each item goes through. */
  ItemProcessor: { StartAt: string; States: { [name: string]: FlowState } };
  /** Iterations running at once (default and most: FLOW_MAP_MAX_CONCURRENCY). */
  MaxConcurrency?: number;
  ResultPath?: FlowPath;
  Catch?: CatchRule[];
  Retry?: RetryRule[];
}

/** One comparison, or a combination of rules; top-level rules of a Choice carry `Next`. */
export interface ChoiceRule {
  Variable?: string;
  And?: ChoiceRule[];
  Or?: ChoiceRule[];
  Not?: ChoiceRule;
  Next?: string;
  [comparison: string]: JsonValue | ChoiceRule | ChoiceRule[] | undefined;
}

export interface ChoiceState extends StateFields {
  Type: 'Choice';
  Choices: ChoiceRule[];
  Default?: string;
}

export type FlowState = PassState | ActionState | ExpressionEvalState | WaitState | FailState | MapState | ChoiceState;

/** The comparisons a Choice rule may make, each with the JSON type of its operand (`path`: a JSONPath to compare with). */
export const CHOICE_COMPARISONS = {
  StringEquals: 'string',
  StringLessThan: 'string',
  StringGreaterThan: 'string',
  StringLessThanEquals: 'string',
  StringGreaterThanEquals: 'string',
  StringMatches: 'string',
  NumericEquals: 'number',
  NumericLessThan: 'number',
  NumericGreaterThan: 'number',
  NumericLessThanEquals: 'number',
  NumericGreaterThanEquals: 'number',
  BooleanEquals: 'boolean',
  StringEqualsPath: 'path',
  NumericEqualsPath: 'path',
  NumericLessThanPath: 'path',
  NumericGreaterThanPath: 'path',
  BooleanEqualsPath: 'path',
  IsPresent: 'boolean',
  IsNull: 'boolean',
  IsNumeric: 'boolean',
  IsString: 'boolean',
  IsBoolean: 'boolean',
} as const;

export type ChoiceComparison = keyof typeof CHOICE_COMPARISONS;

/** The name of the hub's own action, which runs a function on an endpoint as a funcX task. */
export const FUNCX_ACTION_URL = 'funcx';
/** The hub's data action: values in an endpoint's data store (put a JSON value, get a reference's value). */
export const DATA_ACTION_URL = 'data';

/** Seconds an action may take when its state gives no WaitTime. */
export const DEFAULT_ACTION_WAIT_S = 300;
/** Most Map iterations running at once (and the default). */
export const FLOW_MAP_MAX_CONCURRENCY = 1_000;
/** Most items one Map state runs over. */
export const FLOW_MAP_MAX_ITEMS = 10_000;
/** Most states in one definition, nested item processors included. */
export const FLOW_MAX_STATES = 500;
/** Most transitions one run makes before it fails with States.TransitionLimit (a loop that never ends). */
export const FLOW_MAX_TRANSITIONS = 100_000;

// ---- flows as the hub keeps them ----

/** `POST /v1/flows` (and `PUT /v1/flows/:id`, every field optional there). */
export interface FlowUpload {
  title?: string;
  description?: string;
  definition: FlowDefinition;
  public?: boolean;
}

export interface FlowRecord {
  flow_id: string;
  owner: string;
  title: string;
  description?: string;
  definition: FlowDefinition;
  public: boolean;
  shared_with: Sharing;
  created_at: number;
  updated_at: number;
}

/** A flow as listed (no definition). */
export type FlowSummary = Omit<FlowRecord, 'definition'> & { state_count: number };
