import { DEFAULT_ACTION_WAIT_S, FLOW_MAP_MAX_CONCURRENCY, FLOW_STATE_TYPES } from '@funcx/protocol';

/**
 * The JSON schema of a flow definition, one per state type so that an error names the state's own fields.
 * The semantic rules (transitions, reachability, paths, Choice rules) are in validate.ts.
 */

const text = { type: 'string' } as const;
const path = { type: ['string', 'null'] } as const;
const stateName = { type: 'string', minLength: 1 } as const;
const errorNames = { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } } as const;

const catchRules = {
  type: 'array',
  items: {
    type: 'object',
    required: ['ErrorEquals', 'Next'],
    additionalProperties: false,
    properties: { ErrorEquals: errorNames, Next: stateName, ResultPath: path, Comment: text },
  },
} as const;

const retryRules = {
  type: 'array',
  items: {
    type: 'object',
    required: ['ErrorEquals'],
    additionalProperties: false,
    properties: {
      ErrorEquals: errorNames,
      IntervalSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
      MaxAttempts: { type: 'integer', minimum: 0, maximum: 100 },
      BackoffRate: { type: 'number', minimum: 1, maximum: 10 },
      MaxDelaySeconds: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
      Comment: text,
    },
  },
} as const;

const common = { Type: { enum: FLOW_STATE_TYPES }, Comment: text, InputPath: path, OutputPath: path } as const;
const transition = { Next: stateName, End: { type: 'boolean' } } as const;

/** Each state type's own fields (a state is checked against the one its Type names). */
export const STATE_SCHEMAS = {
  Pass: {
    type: 'object',
    additionalProperties: false,
    properties: { ...common, ...transition, Parameters: { type: 'object' }, Result: {}, ResultPath: path },
  },
  Action: {
    type: 'object',
    required: ['ActionUrl'],
    additionalProperties: false,
    properties: {
      ...common,
      ...transition,
      ActionUrl: { type: 'string', minLength: 1 },
      Parameters: { type: 'object' },
      ResultPath: path,
      WaitTime: { type: 'number', exclusiveMinimum: 0, maximum: 30 * 86_400, default: DEFAULT_ACTION_WAIT_S },
      ExceptionOnActionFailure: { type: 'boolean' },
      Catch: catchRules,
      Retry: retryRules,
    },
  },
  ExpressionEval: {
    type: 'object',
    required: ['Parameters'],
    additionalProperties: false,
    properties: { ...common, ...transition, Parameters: { type: 'object' }, ResultPath: path, Catch: catchRules },
  },
  Wait: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...common,
      ...transition,
      Seconds: { type: 'number', minimum: 0, maximum: 366 * 86_400 },
      SecondsPath: text,
      Timestamp: text,
      TimestampPath: text,
    },
  },
  Fail: {
    type: 'object',
    additionalProperties: false,
    properties: { ...common, Error: text, Cause: text },
  },
  Choice: {
    type: 'object',
    required: ['Choices'],
    additionalProperties: false,
    properties: { ...common, Choices: { type: 'array', minItems: 1, items: { type: 'object' } }, Default: stateName },
  },
  Map: {
    type: 'object',
    required: ['ItemProcessor'],
    additionalProperties: false,
    properties: {
      ...common,
      ...transition,
      ItemsPath: text,
      ItemSelector: { type: 'object' },
      ItemProcessor: {
        type: 'object',
        required: ['StartAt', 'States'],
        additionalProperties: false,
        properties: { StartAt: stateName, States: { type: 'object', minProperties: 1 }, Comment: text },
      },
      MaxConcurrency: { type: 'integer', minimum: 0, maximum: FLOW_MAP_MAX_CONCURRENCY },
      ResultPath: path,
      Catch: catchRules,
      Retry: retryRules,
    },
  },
} as const;

/** The definition around its states. */
export const DEFINITION_SCHEMA = {
  type: 'object',
  required: ['StartAt', 'States'],
  additionalProperties: false,
  properties: {
    Comment: text,
    StartAt: stateName,
    States: {
      type: 'object',
      minProperties: 1,
      additionalProperties: { type: 'object', required: ['Type'], properties: { Type: { enum: FLOW_STATE_TYPES } } },
    },
  },
} as const;
