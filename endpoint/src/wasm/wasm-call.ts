import { MAX_RESULT_VALUE_DEPTH, jsonTextDepth, type JsonValue, type TaskResult } from '@funcx/protocol';

/** The task's arguments cannot be given to the module as it is called. */
export class WasmArgumentError extends Error {}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Arguments of an exported function: numbers (and booleans, as 0 and 1), one per parameter. */
function numbers(args: JsonValue[], arity: number, name: string): number[] {
  if (args.length !== arity) {
    throw new WasmArgumentError(`the exported function ${name} takes ${arity} argument(s); the task gave ${args.length}`);
  }
  return args.map((arg, i) => {
    if (typeof arg === 'number') return arg;
    if (typeof arg === 'boolean') return arg ? 1 : 0;
    throw new WasmArgumentError(
      `argument ${i} is ${describe(arg)}; an exported function takes numbers: to pass other values, build a command ` +
        '(a main function, no entrypoint), which reads the arguments as JSON on stdin',
    );
  });
}

/** Calls an export with the task's numbers; i64 parameters take them as BigInt (the conversion fails before any code runs). */
export function callExport(fn: (...args: unknown[]) => unknown, args: JsonValue[], name: string): unknown {
  const values = numbers(args, fn.length, name);
  try {
    return fn(...values);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/.test(error.message)) throw error;
    if (values.some((value) => !Number.isInteger(value))) {
      throw new WasmArgumentError(`the exported function ${name} takes 64-bit integers; give whole numbers`);
    }
    return fn(...values.map((value) => BigInt(value)));
  }
}

function asJson(value: unknown): JsonValue {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (Array.isArray(value)) return value.map(asJson);
  return null;
}

/** An export's return value (a number, several with multi-value, none) as a task's result. */
export function exportResult(value: unknown): TaskResult {
  const json = value === undefined ? null : asJson(value);
  return { value: json, data: { 'text/plain': value === undefined ? 'None' : JSON.stringify(json) } };
}

/** A command's value: its last line on stdout when that is JSON, else that line as text. */
export function commandResult(lastLine: string): TaskResult {
  const line = lastLine.trim();
  if (line === '') return { value: null, data: { 'text/plain': 'None' } };
  // Nesting is counted on the text, before it is parsed; a value nested deeper than a completion may carry stays text.
  if (jsonTextDepth(line, MAX_RESULT_VALUE_DEPTH) > MAX_RESULT_VALUE_DEPTH) return { data: { 'text/plain': line } };
  try {
    return { value: JSON.parse(line) as JsonValue, data: { 'text/plain': line } };
  } catch {
    return { value: line, data: { 'text/plain': line } };
  }
}
