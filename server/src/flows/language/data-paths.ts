import type { FlowPath, JsonValue } from '@funcx/protocol';
import { readPath, writePath } from './paths.js';

/** How a state's input, result and output relate (the Amazon States Language's InputPath, ResultPath, OutputPath). */

/** What the state works on: the part of its raw input that InputPath selects (`null`: {}). */
export function selectInput(path: FlowPath | undefined, rawInput: JsonValue, context: JsonValue, where: string): JsonValue {
  if (path === null) return {};
  if (path === undefined || path === '$') return rawInput;
  return readPath(path, rawInput, context, `${where}.InputPath`);
}

/**
 * The state's output: its result put into its raw input at ResultPath (default `$`: the result is the output;
 * `null`: the input goes on unchanged), then OutputPath selecting from that (`null`: {}).
 */
export function stateOutput(
  state: { ResultPath?: FlowPath; OutputPath?: FlowPath },
  rawInput: JsonValue,
  result: JsonValue,
  context: JsonValue,
  where: string,
): JsonValue {
  const combined = placeResult(state.ResultPath, rawInput, result, `${where}.ResultPath`);
  if (state.OutputPath === null) return {};
  if (state.OutputPath === undefined || state.OutputPath === '$') return combined;
  return readPath(state.OutputPath, combined, context, `${where}.OutputPath`);
}

/** The input with the result at a ResultPath (also a Catch's, for the error). */
export function placeResult(path: FlowPath | undefined, rawInput: JsonValue, result: JsonValue, where: string): JsonValue {
  if (path === null) return rawInput;
  return writePath(rawInput, path ?? '$', result, where);
}
