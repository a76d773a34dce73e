import type { JsonObject, JsonValue } from '@funcx/protocol';
import { evaluateExpression, expressionError } from './expressions.js';
import { pathError, readPath } from './paths.js';

/**
 * Parameters, ItemSelector and ExpressionEval templates: a key ending in `.$` takes the value at the JSONPath
 * it holds, a key ending in `.=` the value of the expression it holds; the key loses its suffix. Everything
 * else is copied, nested objects and arrays evaluated the same way.
 */
export async function evaluateTemplate(template: JsonValue, input: JsonValue, context: JsonValue, where: string): Promise<JsonValue> {
  if (Array.isArray(template)) {
    const items: JsonValue[] = [];
    for (let i = 0; i < template.length; i++) items.push(await evaluateTemplate(template[i], input, context, `${where}[${i}]`));
    return items;
  }
  if (template === null || typeof template !== 'object') return template;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) result[key.slice(0, -2)] = readPath(value as string, input, context, `${where}.${key}`);
    else if (key.endsWith('.=')) result[key.slice(0, -2)] = await evaluateExpression(value as string, input, context, `${where}.${key}`);
    else result[key] = await evaluateTemplate(value, input, context, `${where}.${key}`);
  }
  return result;
}

/** Each problem of a template, as `where: what` (paths that do not parse, expressions that do not compile). */
export function templateErrors(template: JsonValue, where: string): string[] {
  const errors: string[] = [];
  const visit = (node: JsonValue, at: string) => {
    if (Array.isArray(node)) return node.forEach((item, i) => visit(item, `${at}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      const here = `${at}.${key}`;
      if ((key.endsWith('.$') || key.endsWith('.=')) && key.length === 2) errors.push(`${here}: the key needs a name before "${key}"`);
      if (key.endsWith('.$')) {
        const problem = pathError(value);
        if (problem) errors.push(`${here}: ${problem}`);
      } else if (key.endsWith('.=')) {
        const problem = expressionError(value);
        if (problem) errors.push(`${here}: ${problem}`);
      } else {
        visit(value, here);
      }
    }
  };
  visit(template, where);
  return errors;
}

/** The names a template gives its result (keys without their `.$`/`.=` suffix). */
export function templateKeys(template: JsonObject): string[] {
  return Object.keys(template).map((key) => (key.endsWith('.$') || key.endsWith('.=') ? key.slice(0, -2) : key));
}
