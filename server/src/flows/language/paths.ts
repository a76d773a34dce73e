import { JSONPath } from 'jsonpath-plus';
import type { JsonValue } from '@funcx/protocol';
import { FlowFailure } from './flow-errors.js';

/**
 * JSONPath as flows use it, evaluated by jsonpath-plus over a documented subset: `$` (or `$$` for the context)
 * followed by `.name`, `['name']`, `[index]`, `[*]`, `.*`, `..name`, `[a,b]` and `[start:end]`. Filter and
 * script expressions (`[?(...)]`, `(...)`) are refused: computation belongs in ExpressionEval.
 */

const SEGMENT = String.raw`(?:\.\.?(?:[A-Za-z_$][\w$-]*|\*)|\[(?:\*|-?\d+|-?\d*:-?\d*|-?\d+(?:,-?\d+)+|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\])`;
const PATH = new RegExp(String.raw`^\$\$?(?:${SEGMENT})*$`);
/** A reference path names one place: no wildcard, descent, union or slice. */
const REFERENCE = new RegExp(String.raw`^\$(?:\.[A-Za-z_$][\w$-]*|\[(?:\d+|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\])*$`);

/** Why a path is not one flows accept, or undefined when it is. */
export function pathError(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'must be a JSONPath string such as "$.result"';
  if (!path.startsWith('$')) return `"${path}" is not a JSONPath: start it with "$" (the state's input) or "$$" (the context)`;
  if (!PATH.test(path)) return `"${path}" is not a JSONPath of the supported subset ($.a.b, $['a b'], $.list[0], $.list[*], $..a, [a,b], [1:3]; no filters)`;
  return undefined;
}

/** Why a path cannot be written to (ResultPath), or undefined when it can. */
export function referencePathError(path: unknown): string | undefined {
  if (typeof path !== 'string' || !REFERENCE.test(path)) {
    return `${typeof path === 'string' ? `"${path}"` : 'it'} must name one place in the state's input, such as "$", "$.result" or "$.results[0]" (no wildcards, "..", unions or slices)`;
  }
  return undefined;
}

/** Whether a path names one value (else it selects a list of them). */
function isDefinite(path: string): boolean {
  return !/\*|\.\.|,|:/.test(path.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, "''"));
}

/**
 * The value at `path` in `data` (or in `context` for `$$` paths). A definite path that matches nothing fails with
 * States.Runtime, naming the path and where it was used; an indefinite one gives the list of what it matched.
 */
export function readPath(path: string, data: JsonValue, context: JsonValue, where: string): JsonValue {
  const onContext = path.startsWith('$$');
  const json = onContext ? context : data;
  const jsonPath = onContext ? path.slice(1) : path;
  if (jsonPath === '$') return json;
  const found = JSONPath({ path: jsonPath, json: json as object, wrap: true, eval: false }) as JsonValue[];
  if (!isDefinite(jsonPath)) return found;
  if (found.length === 0) throw new FlowFailure('States.Runtime', `${where}: ${path} matched nothing in ${onContext ? 'the context' : "the state's input"}${describeKeys(json)}`);
  return found[0];
}

function describeKeys(json: JsonValue): string {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return '';
  const keys = Object.keys(json);
  return keys.length === 0 ? ' (it is {})' : ` (its fields: ${keys.slice(0, 20).join(', ')})`;
}

const STEP = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/g;

/** The steps of a reference path: field names and array indexes. */
function steps(path: string): (string | number)[] {
  return [...path.slice(1).matchAll(STEP)].map((match) =>
    match[2] !== undefined ? Number(match[2]) : (match[1] ?? (match[3] ?? match[4]).replace(/\\(.)/g, '$1')),
  );
}

/**
 * `input` with `value` put at the reference path (a copy along the path; the rest shared). `$` gives the value
 * itself. Objects missing on the way are created; a step into a non-object fails with States.ResultPathMatchFailure.
 */
export function writePath(input: JsonValue, path: string, value: JsonValue, where: string): JsonValue {
  if (path === '$') return value;
  const route = steps(path);
  const root = copyContainer(input, route[0], path, where);
  let node: { [key: string]: JsonValue } | JsonValue[] = root;
  for (let i = 0; i < route.length; i++) {
    const step = route[i];
    // A list written past its end is padded with nulls (JSON has no holes).
    if (Array.isArray(node) && typeof step === 'number') while (node.length < step) node.push(null);
    if (i === route.length - 1) {
      (node as { [key: string]: JsonValue })[step as string] = value;
      break;
    }
    const next = copyContainer((node as { [key: string]: JsonValue })[step as string], route[i + 1], path, where);
    (node as { [key: string]: JsonValue })[step as string] = next;
    node = next;
  }
  return root;
}

function copyContainer(value: JsonValue | undefined, step: string | number, path: string, where: string): { [key: string]: JsonValue } | JsonValue[] {
  if (value === undefined || value === null) return typeof step === 'number' ? [] : {};
  if (Array.isArray(value)) {
    if (typeof step !== 'number') throw new FlowFailure('States.ResultPathMatchFailure', `${where}: ${path} names field "${step}" of a list`);
    return [...value];
  }
  if (typeof value === 'object') return { ...value };
  throw new FlowFailure('States.ResultPathMatchFailure', `${where}: ${path} goes into a ${typeof value}, which has no fields`);
}
