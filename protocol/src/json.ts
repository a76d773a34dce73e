export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * How deeply `value` nests arrays and objects, counted without recursion and given up at `limit + 1`: a value
 * nested 10,000 deep costs as little to refuse as one nested 65 deep. A scalar is depth 0, `[]` depth 1.
 */
export function jsonDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 1;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop() as object;
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    const children = Array.isArray(node) ? node : Object.values(node);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (typeof child === 'object' && child !== null) {
        stack.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return deepest;
}

/**
 * The same measure on JSON text, before it is parsed: brackets outside strings, given up at `limit + 1`.
 * Malformed text is the parser's to refuse; this only counts. A string is skipped with indexOf to its closing
 * quote (one preceded by an even run of backslashes), since strings are most of what managers and workers send.
 */
export function jsonTextDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34 /* " */) {
      let quote = text.indexOf('"', i + 1);
      while (quote !== -1 && escaped(text, quote)) quote = text.indexOf('"', quote + 1);
      if (quote === -1) return deepest;
      i = quote;
    } else if (code === 91 /* [ */ || code === 123 /* { */) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === 93 /* ] */ || code === 125 /* } */) {
      depth--;
    }
  }
  return deepest;
}

/** The quote at `at` follows an odd run of backslashes, so it is part of the string. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === 92 /* \ */) backslashes++;
  return backslashes % 2 === 1;
}
