import { Ajv, type ValidateFunction } from 'ajv';
import { FINAL_TASK_STATES, FUNCTION_LANGUAGES, ISOLATION_LEVELS, MAX_ALLOWED_FUNCTIONS, MAX_JSON_DEPTH, MAX_RESULT_BYTES, TASK_STATES, jsonDepth } from '@funcx/protocol';
import { describeValidationErrors, uuidString } from '../schemas.js';

/**
 * JSON schemas of what endpoints report, in the same terms as the REST schemas: every field typed and bounded,
 * so nothing a misbehaving endpoint sends is stored that a client could not display.
 */

const epochMs = { type: 'number', minimum: 0, maximum: 1e14 } as const;

const timestamps = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(TASK_STATES.map((state) => [state, epochMs])),
} as const;

const mimeBundle = {
  type: 'object',
  maxProperties: 64,
  propertyNames: { maxLength: 255 },
  additionalProperties: { type: ['string', 'object', 'array', 'number', 'boolean', 'null'] },
} as const;

const taskOutput = {
  oneOf: [
    {
      type: 'object',
      required: ['output_type', 'name', 'text'],
      additionalProperties: false,
      properties: {
        output_type: { const: 'stream' },
        name: { enum: ['stdout', 'stderr'] },
        text: { type: 'string' },
      },
    },
    {
      type: 'object',
      required: ['output_type', 'data'],
      additionalProperties: false,
      properties: {
        output_type: { const: 'display_data' },
        data: mimeBundle,
        metadata: { type: 'object' },
      },
    },
  ],
} as const;

const taskResult = {
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { value: {}, data: mimeBundle, pickle: { type: 'string' } },
} as const;

const taskError = {
  type: 'object',
  required: ['ename', 'evalue', 'traceback'],
  additionalProperties: false,
  properties: {
    ename: { type: 'string', maxLength: 256 },
    evalue: { type: 'string', maxLength: MAX_RESULT_BYTES },
    traceback: { type: 'array', maxItems: 10_000, items: { type: 'string' } },
  },
} as const;

export const stateUpdate = {
  type: 'object',
  required: ['task_id', 'state', 'timestamps'],
  additionalProperties: false,
  properties: { task_id: uuidString, state: { enum: [...TASK_STATES] }, timestamps, streams: { const: true } },
} as const;

export const outputUpdate = {
  type: 'object',
  required: ['task_id', 'output'],
  additionalProperties: false,
  properties: { task_id: uuidString, output: taskOutput },
} as const;

export const completion = {
  type: 'object',
  required: ['task_id', 'state', 'timestamps'],
  additionalProperties: false,
  properties: {
    task_id: uuidString,
    state: { enum: [...FINAL_TASK_STATES] },
    timestamps,
    result: taskResult,
    error: taskError,
    session_restarted: { type: 'string', maxLength: 2_000 },
    streams: { const: true },
  },
} as const;

const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, allowUnionTypes: true });

export const reportValidators = {
  state: ajv.compile(stateUpdate) as ValidateFunction,
  output: ajv.compile(outputUpdate) as ValidateFunction,
  completion: ajv.compile(completion) as ValidateFunction,
};

const taskIds = { type: 'array', maxItems: 1_000_000, items: { type: 'string', maxLength: 64 } } as const;

/** `hello`: what the daemon holds, its load (bounded by asLoad, not refused) and the functions its config allows. */
export const hello = {
  type: 'object',
  required: ['held_task_ids', 'load', 'version'],
  properties: {
    held_task_ids: taskIds,
    uncharged_task_ids: taskIds,
    load: { type: 'object' },
    version: { type: 'string', maxLength: 64 },
    allowed_functions: { type: 'array', maxItems: MAX_ALLOWED_FUNCTIONS, items: uuidString },
    capabilities: {
      type: 'object',
      required: ['languages', 'isolation'],
      additionalProperties: false,
      properties: {
        languages: { type: 'array', maxItems: FUNCTION_LANGUAGES.length, uniqueItems: true, items: { type: 'string', enum: FUNCTION_LANGUAGES } },
        isolation: { type: 'array', maxItems: ISOLATION_LEVELS.length, uniqueItems: true, items: { type: 'string', enum: ISOLATION_LEVELS } },
      },
    },
  },
} as const;

const validateHello = ajv.compile(hello) as ValidateFunction;

/** Why a hello cannot be accepted, or undefined. */
export function helloProblem(message: unknown): string | undefined {
  if (jsonDepth(message, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) return `hello nests more than ${MAX_JSON_DEPTH} levels deep`;
  if (!validateHello(message)) return describeValidationErrors(validateHello.errors, 'hello');
  return undefined;
}
