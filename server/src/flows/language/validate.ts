import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  CHOICE_COMPARISONS,
  FLOW_MAX_STATES,
  DATA_ACTION_URL,
  FUNCX_ACTION_URL,
  FuncxError,
  type ActionState,
  type ChoiceComparison,
  type ChoiceRule,
  type FlowDefinition,
  type FlowState,
  type FlowStateType,
  type MapState,
  type WaitState,
} from '@funcx/protocol';
import { DEFINITION_SCHEMA, STATE_SCHEMAS } from './definition-schema.js';
import { pathError, referencePathError } from './paths.js';
import { templateErrors, templateKeys } from './templates.js';

/** Problems reported at most, so that a definition pasted wrong still gets a readable answer. */
const MAX_REPORTED = 20;

const ajv = new Ajv({ allErrors: true, strict: false });
const checkDefinition = ajv.compile(DEFINITION_SCHEMA);
const checkState = Object.fromEntries(Object.entries(STATE_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)])) as Record<FlowStateType, ValidateFunction>;

export interface ValidationOptions {
  /** Whether an http(s) ActionUrl is one this hub calls (see --action-url-prefix); all are by default. */
  allowActionUrl?: (url: string) => boolean;
}

/** Every problem of a definition, each naming the state and the field: `States.check.Next: no state "done" (states: a, b)`. */
export function definitionErrors(definition: unknown, options: ValidationOptions = {}): string[] {
  if (!checkDefinition(definition)) return schemaErrors(checkDefinition.errors, '');
  const errors: string[] = [];
  const def = definition as FlowDefinition;
  let count = 0;
  checkScope(def.StartAt, def.States, '', errors, options, (n) => (count += n));
  if (count > FLOW_MAX_STATES) errors.push(`States: ${count} states, more than the ${FLOW_MAX_STATES} a flow may have`);
  return errors;
}

/** Throws FUNCX_FLOW_INVALID listing the problems (all of them, up to MAX_REPORTED). */
export function assertValidDefinition(definition: unknown, options: ValidationOptions = {}): asserts definition is FlowDefinition {
  const errors = definitionErrors(definition, options);
  if (errors.length === 0) return;
  const shown = errors.slice(0, MAX_REPORTED);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  const what = errors.length === 1 ? 'a problem' : `${errors.length} problems`;
  throw new FuncxError('FUNCX_FLOW_INVALID', `The flow definition has ${what}: ${shown.join('; ')}${more}`);
}

/** One level of states (the definition's, or a Map's item processor's); `prefix` is where it sits. */
function checkScope(
  startAt: string,
  states: { [name: string]: FlowState },
  prefix: string,
  errors: string[],
  options: ValidationOptions,
  countStates: (n: number) => void,
): void {
  const names = Object.keys(states);
  countStates(names.length);
  const at = (name: string) => `${prefix}States.${name}`;
  const known = (target: string, where: string) => {
    if (!(target in states)) errors.push(`${where}: no state "${target}" (states: ${names.join(', ')})`);
  };
  known(startAt, `${prefix}StartAt`);
  for (const name of names) {
    const state = states[name];
    const where = at(name);
    if (name.includes('/')) errors.push(`${where}: a state name may not contain "/" (it separates a Map from its states)`);
    const validate = checkState[state.Type];
    if (!(validate(state) as boolean)) {
      errors.push(...schemaErrors(validate.errors, where, state.Type));
      continue;
    }
    checkTransition(state, where, errors);
    for (const [field, target] of targets(state)) known(target, `${where}.${field}`);
    checkPaths(state, where, errors);
    if ('Parameters' in state && state.Parameters) errors.push(...templateErrors(state.Parameters, `${where}.Parameters`));
    if (state.Type === 'Choice') state.Choices.forEach((rule, i) => checkRule(rule, `${where}.Choices[${i}]`, true, errors));
    if (state.Type === 'Wait') checkWait(state, where, errors);
    if (state.Type === 'Action') checkAction(state, where, errors, options);
    if (state.Type === 'Map') checkMap(state, where, errors, options, countStates);
  }
  for (const name of unreachable(startAt, states)) {
    errors.push(`${at(name)}: no state leads here (it is not StartAt and no Next, Default, Choice or Catch names it)`);
  }
}

/** The states a state may go to, each with the field that names it (read loosely: the state may be malformed). */
export function targets(state: FlowState): [field: string, target: string][] {
  const found: [string, string][] = [];
  const loose = state as { Next?: unknown; Choices?: unknown; Default?: unknown; Catch?: unknown };
  if (typeof loose.Next === 'string') found.push(['Next', loose.Next]);
  if (Array.isArray(loose.Choices)) {
    loose.Choices.forEach((rule: { Next?: unknown } | null, i) => {
      if (typeof rule?.Next === 'string') found.push([`Choices[${i}].Next`, rule.Next]);
    });
  }
  if (typeof loose.Default === 'string') found.push(['Default', loose.Default]);
  if (Array.isArray(loose.Catch)) {
    loose.Catch.forEach((rule: { Next?: unknown } | null, i) => {
      if (typeof rule?.Next === 'string') found.push([`Catch[${i}].Next`, rule.Next]);
    });
  }
  return found;
}

function unreachable(startAt: string, states: { [name: string]: FlowState }): string[] {
  const seen = new Set<string>();
  const queue = [startAt];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name) || !(name in states)) continue;
    seen.add(name);
    for (const [, target] of targets(states[name])) queue.push(target);
  }
  return Object.keys(states).filter((name) => !seen.has(name));
}

function checkTransition(state: FlowState, where: string, errors: string[]): void {
  if (state.Type === 'Choice' || state.Type === 'Fail') return;
  const hasNext = state.Next !== undefined;
  const ends = state.End === true;
  if (hasNext && ends) errors.push(`${where}: has both Next and "End": true; keep one`);
  else if (!hasNext && !ends) errors.push(`${where}: give either Next (the state that follows) or "End": true`);
}

function checkPaths(state: FlowState, where: string, errors: string[]): void {
  const check = (field: string, value: unknown, reference = false) => {
    if (value === undefined || value === null) return;
    const problem = reference ? referencePathError(value) : pathError(value);
    if (problem) errors.push(`${where}.${field}: ${problem}`);
  };
  check('InputPath', state.InputPath);
  check('OutputPath', state.OutputPath);
  if ('ResultPath' in state) check('ResultPath', state.ResultPath, true);
  if ('Catch' in state && state.Catch) state.Catch.forEach((rule, i) => check(`Catch[${i}].ResultPath`, rule.ResultPath, true));
  if (state.Type === 'Wait') {
    check('SecondsPath', state.SecondsPath);
    check('TimestampPath', state.TimestampPath);
  }
  if (state.Type === 'Map') check('ItemsPath', state.ItemsPath);
}

function checkRule(rule: ChoiceRule, where: string, topLevel: boolean, errors: string[]): void {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    errors.push(`${where}: must be a rule object`);
    return;
  }
  if (topLevel && typeof rule.Next !== 'string') errors.push(`${where}: a Choice rule needs Next (the state to go to when it holds)`);
  if (!topLevel && rule.Next !== undefined) errors.push(`${where}.Next: only the rules directly in Choices have Next, not rules inside And, Or or Not`);
  const comparisons = Object.keys(rule).filter((key) => key in CHOICE_COMPARISONS) as ChoiceComparison[];
  const combinators = (['And', 'Or', 'Not'] as const).filter((key) => rule[key] !== undefined);
  const unknown = Object.keys(rule).filter((key) => !(key in CHOICE_COMPARISONS) && !['Variable', 'And', 'Or', 'Not', 'Next', 'Comment'].includes(key));
  for (const key of unknown) errors.push(`${where}: unknown field "${key}" (comparisons: ${Object.keys(CHOICE_COMPARISONS).join(', ')}; or And, Or, Not)`);
  if (comparisons.length + combinators.length !== 1) {
    errors.push(`${where}: a rule makes exactly one comparison (such as NumericGreaterThan) or combines rules with one of And, Or, Not; this one has ${[...comparisons, ...combinators].join(', ') || 'none'}`);
    return;
  }
  if (combinators.length === 1) {
    if (rule.Variable !== undefined) errors.push(`${where}.Variable: a rule that combines others with ${combinators[0]} has no Variable`);
    const inner = rule[combinators[0]];
    if (combinators[0] === 'Not') {
      checkRule(inner as ChoiceRule, `${where}.Not`, false, errors);
    } else if (!Array.isArray(inner) || inner.length === 0) {
      errors.push(`${where}.${combinators[0]}: must be a non-empty list of rules`);
    } else {
      inner.forEach((item, i) => checkRule(item, `${where}.${combinators[0]}[${i}]`, false, errors));
    }
    return;
  }
  const comparison = comparisons[0];
  if (rule.Variable === undefined) errors.push(`${where}: the comparison ${comparison} needs a Variable (the JSONPath of the value to compare)`);
  else {
    const problem = pathError(rule.Variable);
    if (problem) errors.push(`${where}.Variable: ${problem}`);
  }
  const kind = CHOICE_COMPARISONS[comparison];
  const operand = rule[comparison];
  if (kind === 'path') {
    const problem = pathError(operand);
    if (problem) errors.push(`${where}.${comparison}: ${problem}`);
  } else if (typeof operand !== kind) {
    errors.push(`${where}.${comparison}: must be a ${kind}, not ${JSON.stringify(operand)}`);
  }
}

function checkWait(state: WaitState, where: string, errors: string[]): void {
  const given = (['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'] as const).filter((key) => state[key] !== undefined);
  if (given.length !== 1) {
    errors.push(`${where}: a Wait gives exactly one of Seconds, SecondsPath, Timestamp, TimestampPath; this one has ${given.join(', ') || 'none'}`);
  }
  if (state.Timestamp !== undefined && Number.isNaN(Date.parse(state.Timestamp))) {
    errors.push(`${where}.Timestamp: "${state.Timestamp}" is not a time; write it as ISO 8601, such as 2026-12-01T10:00:00Z`);
  }
}

function checkAction(state: ActionState, where: string, errors: string[], options: ValidationOptions): void {
  const url = state.ActionUrl;
  if (url === FUNCX_ACTION_URL) {
    const keys = new Set(templateKeys(state.Parameters ?? {}));
    if (!keys.has('endpoint')) errors.push(`${where}.Parameters: the funcx action needs "endpoint" (or "endpoint.$"): the endpoint to run on`);
    if (keys.has('function_id') === keys.has('source')) {
      errors.push(`${where}.Parameters: the funcx action needs either "function_id" (a registered function) or "source" (inline code), not both or neither`);
    }
    if (keys.has('task_group')) errors.push(`${where}.Parameters.task_group: the hub names each action's task group itself (it finds the task again by it)`);
    return;
  }
  if (url === DATA_ACTION_URL) {
    const parameters = state.Parameters ?? {};
    const keys = new Set(templateKeys(parameters));
    const op = parameters.op;
    if (op === 'put' || op === 'get') {
      const missing = (op === 'put' ? ['endpoint', 'value'] : ['ref']).filter((key) => !keys.has(key));
      if (missing.length > 0) errors.push(`${where}.Parameters: the data action's ${op} needs ${missing.map((key) => `"${key}"`).join(' and ')}`);
    } else if (!keys.has('op') || 'op' in parameters) {
      // "op.$" (taken from the input) is checked when the state runs.
      errors.push(`${where}.Parameters.op: the data action needs "op": "put" (with "endpoint" and "value") or "get" (with "ref")`);
    }
    return;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    errors.push(`${where}.ActionUrl: "${url}" is neither "${FUNCX_ACTION_URL}" (run a function on an endpoint), "${DATA_ACTION_URL}" (the data store) nor an http(s) URL of an action provider`);
  } else if (options.allowActionUrl && !options.allowActionUrl(url)) {
    errors.push(`${where}.ActionUrl: this hub does not call action providers at "${url}" (ask its operator to allow it with --action-url-prefix)`);
  }
}

function checkMap(state: MapState, where: string, errors: string[], options: ValidationOptions, countStates: (n: number) => void): void {
  if (state.ItemSelector) errors.push(...templateErrors(state.ItemSelector, `${where}.ItemSelector`));
  const processor = state.ItemProcessor;
  checkScope(processor.StartAt, processor.States, `${where}.ItemProcessor.`, errors, options, countStates);
}

/** ajv's errors as sentences that name the state and field. */
function schemaErrors(errors: ErrorObject[] | null | undefined, where: string, type?: FlowStateType): string[] {
  const sentences = new Set<string>();
  for (const error of errors ?? []) {
    const field = error.instancePath
      .split('/')
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
      .join('');
    const at = `${where}${field}`.replace(/^\./, '') || 'the definition';
    if (error.keyword === 'additionalProperties') {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const allowed = type ? Object.keys(STATE_SCHEMAS[type].properties).join(', ') : Object.keys(DEFINITION_SCHEMA.properties).join(', ');
      sentences.add(`${at}: unknown field "${extra}" (${type && !field ? `fields of a ${type} state` : 'fields here'}: ${allowed})`);
    } else if (error.keyword === 'required') {
      sentences.add(`${at}: missing ${(error.params as { missingProperty: string }).missingProperty}`);
    } else if (error.keyword === 'enum') {
      sentences.add(`${at}: must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
    } else {
      sentences.add(`${at}: ${error.message ?? 'is invalid'}`);
    }
  }
  return [...sentences];
}

/** The states of the scope a thread runs in: the definition's, or the item processor of the Maps named in `scope`. */
export function scopeStates(definition: FlowDefinition, scope: string[]): { StartAt: string; States: { [name: string]: FlowState } } {
  let current: { StartAt: string; States: { [name: string]: FlowState } } = definition;
  for (const mapName of scope) current = (current.States[mapName] as MapState).ItemProcessor;
  return current;
}
