import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  FUNCTION_LANGUAGES,
  ISOLATION_LEVELS,
  MAX_ALLOWED_FUNCTIONS,
  MAX_AUDIT_LIMIT,
  MAX_BATCH_TASKS,
  MAX_MPI_RANKS,
  MAX_SHARING_ENTRIES,
  MAX_TARGET_ENDPOINTS,
  MAX_TASK_TIMEOUT_S,
  NAME_RULES,
  POLICY_NAMES,
  type NameRule,
} from '@funcx/protocol';

/** JSON schemas of every body, param and socket message the hub accepts; REST and sockets share them. */

const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const IDENTIFIER_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';

export const uuidString = { type: 'string', pattern: UUID_PATTERN } as const;

const location = {
  type: 'object',
  required: ['lat', 'lon'],
  additionalProperties: false,
  properties: {
    lat: { type: 'number', minimum: -90, maximum: 90 },
    lon: { type: 'number', minimum: -180, maximum: 180 },
  },
} as const;

export const functionRegistration = {
  type: 'object',
  required: ['name', 'source'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: NAME_RULES.function.pattern },
    source: { type: 'string', minLength: 1 },
    entrypoint: { type: 'string', pattern: IDENTIFIER_PATTERN },
    language: { type: 'string', enum: FUNCTION_LANGUAGES },
    isolation: { type: 'string', enum: ISOLATION_LEVELS },
    description: { type: 'string', maxLength: 10_000, pattern: NAME_RULES.description.pattern },
    container_image: { type: 'string', pattern: NAME_RULES.image.pattern },
    public: { type: 'boolean' },
    pure: { type: 'boolean' },
  },
} as const;

export const endpointRegistration = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: NAME_RULES.endpoint.pattern },
    location,
    site: { type: 'string', pattern: NAME_RULES.site.pattern },
    public: { type: 'boolean' },
  },
} as const;

const endpointRefString = { type: 'string', minLength: 1, maxLength: 300 } as const;
const endpointRefs = { type: 'array', minItems: 1, maxItems: MAX_TARGET_ENDPOINTS, items: endpointRefString } as const;
export const policyName = { type: 'string', enum: POLICY_NAMES } as const;

export const taskSubmission = {
  type: 'object',
  required: ['endpoint'],
  additionalProperties: false,
  properties: {
    function_id: uuidString,
    source: { type: 'string', minLength: 1 },
    entrypoint: { type: 'string', pattern: IDENTIFIER_PATTERN },
    // One endpoint or group (a string), or several endpoints (an array).
    endpoint: { type: ['string', 'array'], minLength: 1, maxLength: 300, minItems: 1, maxItems: MAX_TARGET_ENDPOINTS, items: endpointRefString },
    policy: policyName,
    args: { type: 'array' },
    kwargs: { type: 'object' },
    timeout_s: { type: 'number', exclusiveMinimum: 0, maximum: MAX_TASK_TIMEOUT_S },
    return_pickle: { type: 'boolean' },
    container_image: { type: 'string', pattern: NAME_RULES.image.pattern },
    task_group: { type: 'string', pattern: NAME_RULES.taskGroup.pattern },
    cache: { type: 'boolean' },
    task_id: uuidString,
    session: { type: 'string', pattern: NAME_RULES.session.pattern },
    resource_specification: {
      type: 'object',
      required: ['num_nodes', 'ranks_per_node'],
      additionalProperties: false,
      properties: {
        num_nodes: { type: 'integer', minimum: 1, maximum: MAX_MPI_RANKS },
        ranks_per_node: { type: 'integer', minimum: 1, maximum: MAX_MPI_RANKS },
      },
    },
  },
} as const;

export const taskBatch = {
  type: 'object',
  required: ['tasks'],
  additionalProperties: false,
  properties: { tasks: { type: 'array', minItems: 1, maxItems: MAX_BATCH_TASKS, items: taskSubmission } },
} as const;

export const taskIdList = {
  type: 'object',
  required: ['task_ids'],
  additionalProperties: false,
  properties: { task_ids: { type: 'array', maxItems: MAX_BATCH_TASKS, items: { type: 'string' } } },
} as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1 } },
} as const;

export const ownerNameParams = {
  type: 'object',
  required: ['owner', 'name'],
  properties: { owner: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 } },
} as const;

export const uuidParams = {
  type: 'object',
  required: ['id'],
  properties: { id: uuidString },
} as const;

const userName = { type: 'string', pattern: NAME_RULES.user.pattern } as const;
const groupName = { type: 'string', pattern: NAME_RULES.group.pattern } as const;
const userNames = { type: 'array', maxItems: MAX_SHARING_ENTRIES, items: userName } as const;
const groupNames = { type: 'array', maxItems: MAX_SHARING_ENTRIES, items: groupName } as const;

export const userCreation = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: userName, admin: { type: 'boolean' } },
} as const;

export const tokenRequest = {
  type: 'object',
  additionalProperties: false,
  properties: { revoke_others: { type: 'boolean' } },
} as const;

export const groupCreation = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: groupName, members: userNames },
} as const;

export const groupMembersChange = {
  type: 'object',
  additionalProperties: false,
  properties: { add: userNames, remove: userNames },
} as const;

export const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 } },
} as const;

export const functionSharing = {
  type: 'object',
  additionalProperties: false,
  properties: { public: { type: 'boolean' }, users: userNames, groups: groupNames },
} as const;

export const endpointSharing = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...functionSharing.properties,
    admins: userNames,
    allowed_functions: { type: ['array', 'null'], maxItems: MAX_ALLOWED_FUNCTIONS, items: uuidString },
  },
} as const;

const endpointGroupName = { type: 'string', pattern: NAME_RULES.endpoint_group.pattern } as const;
const groupMembers = { type: 'array', maxItems: MAX_TARGET_ENDPOINTS, items: endpointRefString } as const;

export const endpointGroupCreation = {
  type: 'object',
  required: ['name', 'endpoints'],
  additionalProperties: false,
  properties: { name: endpointGroupName, endpoints: groupMembers, policy: policyName, public: { type: 'boolean' } },
} as const;

export const endpointGroupUpdate = {
  type: 'object',
  additionalProperties: false,
  properties: { endpoints: groupMembers, policy: { type: ['string', 'null'], enum: [...POLICY_NAMES, null] } },
} as const;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: userName,
    since: { type: 'string', minLength: 1, maxLength: 64 },
    limit: { type: 'string', pattern: '^[0-9]{1,6}$' },
  },
} as const;

export const DEFAULT_AUDIT_LIMIT = 100;
export { MAX_AUDIT_LIMIT };

/** Response schema of any error (for the OpenAPI document). */
export const errorBody = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    retry_after_s: { type: 'integer' },
    retry_after_ms: { type: 'integer' },
  },
} as const;

/** One readable sentence from validation errors, naming where in the message each problem is. */
export function describeValidationErrors(errors: ErrorObject[] | null | undefined, dataVar: string): string {
  if (!errors || errors.length === 0) return `${dataVar} is invalid`;
  const seen = new Set<string>();
  for (const error of errors.slice(0, 5)) {
    const where = dataVar + error.instancePath;
    let sentence: string;
    if (error.keyword === 'additionalProperties') {
      sentence = `${where} has an unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    } else if (error.keyword === 'pattern' && (error.params as { pattern: string }).pattern === UUID_PATTERN) {
      sentence = `${where} must be a UUID`;
    } else if (error.keyword === 'pattern' && (error.params as { pattern: string }).pattern === IDENTIFIER_PATTERN) {
      sentence = `${where} must be a Python identifier`;
    } else if (error.keyword === 'type' && Array.isArray((error.params as { type: unknown }).type)) {
      sentence = `${where} must be ${((error.params as { type: string[] }).type).join(' or ')}`;
    } else if (error.keyword === 'enum') {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.filter((value) => value !== null);
      sentence = `${where} must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
    } else if (error.keyword === 'pattern' && nameRuleOf((error.params as { pattern: string }).pattern)) {
      const rule = nameRuleOf((error.params as { pattern: string }).pattern)!;
      sentence = `${where} is not a valid ${rule.label}: ${rule.rule}`;
    } else {
      sentence = `${where} ${error.message ?? 'is invalid'}`;
    }
    seen.add(sentence);
  }
  return [...seen].join('; ');
}

function nameRuleOf(pattern: string): NameRule | undefined {
  return Object.values(NAME_RULES).find((rule) => rule.pattern === pattern);
}

const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, allowUnionTypes: true });

/** Validators compiled once, for socket messages. */
export const validators = {
  taskBatch: ajv.compile(taskBatch) as ValidateFunction,
  taskIdList: ajv.compile(taskIdList) as ValidateFunction,
};
