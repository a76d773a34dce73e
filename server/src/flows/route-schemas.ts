import { NAME_RULES } from '@funcx/protocol';
import { uuidString } from '../schemas.js';

/** JSON schemas of the flow routes' bodies and queries (a definition itself is checked by validate.ts). */

const title = { type: 'string', minLength: 1, maxLength: 200, pattern: NAME_RULES.function.pattern.replace('{1,100}', '{1,200}') } as const;
const description = { type: 'string', maxLength: 10_000, pattern: NAME_RULES.description.pattern } as const;
const label = { type: 'string', maxLength: 200, pattern: NAME_RULES.description.pattern } as const;

export const flowUpload = {
  type: 'object',
  required: ['definition'],
  additionalProperties: false,
  properties: { title, description, definition: { type: 'object' }, public: { type: 'boolean' } },
} as const;

export const flowPatch = { ...flowUpload, required: [] } as const;

export const flowRunRequest = {
  type: 'object',
  additionalProperties: false,
  properties: { input: {}, label },
} as const;

export const flowTriggerRequest = {
  type: 'object',
  required: ['kind'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['cron', 'webhook'] },
    cron: { type: 'string', minLength: 1, maxLength: 200 },
    timezone: { type: 'string', minLength: 1, maxLength: 100 },
    input: { type: 'object' },
    label,
  },
} as const;

export const runListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    flow_id: uuidString,
    status: { type: 'string', enum: ['ACTIVE', 'SUCCEEDED', 'FAILED', 'CANCELLED'] },
    limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
    cursor: { type: 'string', maxLength: 300 },
  },
} as const;

export const runViewQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { events_after: { type: 'string', pattern: '^[0-9]{1,9}$' } },
} as const;

export const callbackParams = {
  type: 'object',
  required: ['run_id', 'token'],
  properties: { run_id: uuidString, token: { type: 'string', pattern: '^[0-9a-f]{32}$' } },
} as const;
