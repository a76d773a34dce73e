import { CHOICE_COMPARISONS, type ChoiceComparison, type ChoiceRule, type ChoiceState, type JsonValue } from '@funcx/protocol';
import { FLOW_ERRORS, FlowFailure } from './flow-errors.js';
import { readPath } from './paths.js';

/** The comparison a rule makes (the one key of CHOICE_COMPARISONS it has), if it makes one. */
export function comparisonOf(rule: ChoiceRule): ChoiceComparison | undefined {
  return (Object.keys(rule) as ChoiceComparison[]).find((key) => key in CHOICE_COMPARISONS);
}

/**
 * The state a Choice goes to: the Next of its first rule that holds, else its Default; with neither, it fails
 * with States.NoChoiceMatched. A rule's Variable that matches nothing fails with States.Runtime (test for it
 * with IsPresent first).
 */
export function choose(state: ChoiceState, input: JsonValue, context: JsonValue, where: string): string {
  for (let i = 0; i < state.Choices.length; i++) {
    if (holds(state.Choices[i], input, context, `${where}.Choices[${i}]`)) return state.Choices[i].Next!;
  }
  if (state.Default !== undefined) return state.Default;
  throw new FlowFailure('States.NoChoiceMatched', `${where}: no rule matched the input and there is no Default`);
}

function holds(rule: ChoiceRule, input: JsonValue, context: JsonValue, where: string): boolean {
  if (rule.And) return rule.And.every((inner, i) => holds(inner, input, context, `${where}.And[${i}]`));
  if (rule.Or) return rule.Or.some((inner, i) => holds(inner, input, context, `${where}.Or[${i}]`));
  if (rule.Not) return !holds(rule.Not, input, context, `${where}.Not`);
  const comparison = comparisonOf(rule)!;
  const operand = rule[comparison] as JsonValue;
  if (comparison === 'IsPresent') return present(rule.Variable!, input, context, where) === operand;
  const value = readPath(rule.Variable!, input, context, `${where}.Variable`);
  switch (comparison) {
    case 'IsNull': return (value === null) === operand;
    case 'IsNumeric': return (typeof value === 'number') === operand;
    case 'IsString': return (typeof value === 'string') === operand;
    case 'IsBoolean': return (typeof value === 'boolean') === operand;
    case 'StringMatches': return typeof value === 'string' && wildcard(operand as string).test(value);
    default: break;
  }
  const other = comparison.endsWith('Path') ? readPath(operand as string, input, context, `${where}.${comparison}`) : operand;
  const kind = comparison.startsWith('String') ? 'string' : comparison.startsWith('Numeric') ? 'number' : 'boolean';
  if (typeof value !== kind || typeof other !== kind) {
    if (comparison.endsWith('Path') && typeof other !== kind) {
      throw new FlowFailure(FLOW_ERRORS.runtime, `${where}.${comparison}: ${operand as string} is ${describe(other)}, not a ${kind}`);
    }
    return false;
  }
  const base = comparison.replace(/^(String|Numeric|Boolean)/, '').replace(/Path$/, '');
  const a = value as string | number | boolean;
  const b = other as string | number | boolean;
  switch (base) {
    case 'Equals': return a === b;
    case 'LessThan': return a < b;
    case 'GreaterThan': return a > b;
    case 'LessThanEquals': return a <= b;
    case 'GreaterThanEquals': return a >= b;
    default: throw new FlowFailure(FLOW_ERRORS.runtime, `${where}: unknown comparison ${comparison}`);
  }
}

function present(path: string, input: JsonValue, context: JsonValue, where: string): boolean {
  try {
    readPath(path, input, context, where);
    return true;
  } catch {
    return false;
  }
}

/** StringMatches patterns: `*` is any run of characters, `\*` a star. */
function wildcard(pattern: string): RegExp {
  const parts = pattern.split(/(?<!\\)\*/).map((part) => part.replace(/\\\*/g, '*').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

function describe(value: JsonValue): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
