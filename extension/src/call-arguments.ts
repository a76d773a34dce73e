import type { JsonValue } from '@funcx/protocol';

/** The arguments a registered function is called with, from what the user typed: `14, "x", scale=2.5`. */
export interface CallArguments {
  args: JsonValue[];
  kwargs: { [name: string]: JsonValue };
}

export class CallArgumentsError extends Error {}

const KEYWORD = /^([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*/;

/**
 * Parses positional values, then `name=value` pairs, separated by commas. Values are JSON, plus Python's
 * `True`, `False`, `None` and single-quoted strings; throws CallArgumentsError saying what to change.
 */
export function parseCallArguments(text: string): CallArguments {
  const result: CallArguments = { args: [], kwargs: {} };
  for (const part of splitTopLevel(text)) {
    const keyword = KEYWORD.exec(part);
    if (keyword) {
      if (keyword[1] in result.kwargs) throw new CallArgumentsError(`${keyword[1]} is given twice`);
      result.kwargs[keyword[1]] = parseValue(part.slice(keyword[0].length));
    } else {
      if (Object.keys(result.kwargs).length > 0) {
        throw new CallArgumentsError(`positional argument ${part} follows a keyword argument: put it first`);
      }
      result.args.push(parseValue(part));
    }
  }
  return result;
}

/** How arguments read back in a call: `14, scale=2.5`. */
export function formatCallArguments({ args, kwargs }: CallArguments): string {
  const values = args.map(value => JSON.stringify(value));
  for (const [name, value] of Object.entries(kwargs)) values.push(`${name}=${JSON.stringify(value)}`);
  return values.join(', ');
}

function parseValue(text: string): JsonValue {
  const python = text
    .replace(/'((?:[^'\\]|\\.)*)'/g, (_, body: string) => JSON.stringify(body.replace(/\\'/g, "'")))
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null');
  try {
    return JSON.parse(python) as JsonValue;
  } catch {
    throw new CallArgumentsError(
      `cannot read ${text} as a value: write numbers, "strings", [lists], {"dicts": 1}, True, False or None`
    );
  }
}

/** Splits on commas outside brackets and strings; empty parts are refused. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = null;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if ('[{('.includes(char)) {
      depth++;
    } else if (']})'.includes(char)) {
      depth--;
    } else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quote || depth !== 0) throw new CallArgumentsError('a string or a bracket is not closed');
  parts.push(text.slice(start));
  const trimmed = parts.map(part => part.trim());
  if (trimmed.length === 1 && trimmed[0] === '') return [];
  if (trimmed.some(part => part === '')) throw new CallArgumentsError('an argument is empty: separate arguments with single commas');
  return trimmed;
}
