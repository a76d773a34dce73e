import jsonata from 'jsonata';
import type { JsonValue } from '@funcx/protocol';
import { FLOW_ERRORS, FlowFailure } from './flow-errors.js';

/**
 * Expressions (`"key.=": "..."` in Parameters, ExpressionEval) are JSONata, evaluated with the state's input as
 * the context (`a + b` adds its fields a and b) and the run's context bound to `$context`. Each evaluation is
 * bounded in time, depth and sequence length, so an expression cannot stall the hub.
 */
const GUARDRAILS = { timeout: 1_000, stack: 500, sequence: 100_000 };

const compiled = new Map<string, jsonata.Expression>();
const MAX_COMPILED = 5_000;

function compile(source: string): jsonata.Expression {
  let expression = compiled.get(source);
  if (!expression) {
    expression = jsonata(source, GUARDRAILS);
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(source, expression);
  }
  return expression;
}

/** Why an expression does not compile (with where in it), or undefined when it does. */
export function expressionError(source: unknown): string | undefined {
  if (typeof source !== 'string' || source.trim() === '') return 'must be a JSONata expression (a non-empty string)';
  try {
    compile(source);
    return undefined;
  } catch (error) {
    return `"${source}" is not a valid expression: ${describe(error)}`;
  }
}

export async function evaluateExpression(source: string, input: JsonValue, context: JsonValue, where: string): Promise<JsonValue> {
  let value: unknown;
  try {
    value = await compile(source).evaluate(input, { context });
  } catch (error) {
    throw new FlowFailure(FLOW_ERRORS.expression, `${where}: "${source}" failed: ${describe(error)}`);
  }
  return toJson(value);
}

/** JSONata's results as JSON: undefined (no match) is null, sequences are arrays, functions are refused. */
function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  if (typeof value === 'function') throw new FlowFailure(FLOW_ERRORS.expression, 'an expression gave a function, which is not a value');
  if (typeof value === 'number' && !Number.isFinite(value)) throw new FlowFailure(FLOW_ERRORS.expression, `an expression gave ${value}, which JSON cannot hold`);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const object: { [key: string]: JsonValue } = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) object[key] = toJson(item);
    return object;
  }
  return value as JsonValue;
}

function describe(error: unknown): string {
  const failure = error as { message?: string; position?: number; code?: string };
  const at = failure.position !== undefined ? ` (at character ${failure.position})` : '';
  return `${failure.message ?? String(error)}${at}`;
}
