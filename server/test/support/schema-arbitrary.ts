import fc, { type Arbitrary } from 'fast-check';


/** A JSON schema as the hub's OpenAPI document writes one (the subset its routes use). */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  oneOf?: Schema[];
}

/** Strings that pass the patterns the hub uses, so that generated bodies get past validation often. */
function patterned(pattern: string): Arbitrary<string> {
  if (pattern.includes('[0-9a-fA-F]{8}')) return fc.uuid();
  if (pattern.startsWith('^[A-Za-z_]')) return fc.constantFrom('main', 'f', '_x1');
  if (pattern.startsWith('^[A-Za-z0-9]')) return fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/);
  return fc.string({ minLength: 1, maxLength: 40 });
}

/** Values that mostly fit `schema`, the way a careless (not hostile) client would send them. */
export function fitting(schema: Schema, depth = 0): Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.oneOf) return fc.oneof(...schema.oneOf.map((option) => fitting(option, depth)));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return schema.pattern ? patterned(schema.pattern) : fc.string({ maxLength: 60 });
    case 'number':
      return fc.double({ min: schema.minimum ?? schema.exclusiveMinimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items && depth < 4 ? fitting(schema.items, depth + 1) : fc.jsonValue({ maxDepth: 2 }), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case 'object': {
      const properties = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, Arbitrary<unknown>> = {};
      for (const [key, property] of Object.entries(properties)) record[key] = fitting(property, depth + 1);
      if (Object.keys(record).length === 0) return fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      return fc.record(record, { requiredKeys: [...required].filter((key) => key in record) }) as Arbitrary<unknown>;
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

/** JSON text nested `depth` deep. */
export function nestedText(depth: number): string {
  return '['.repeat(depth) + '0' + ']'.repeat(depth);
}

/**
 * Bodies for a route: mostly fitting, often broken (a field of the wrong type, an unknown field, any JSON at
 * all), sometimes hostile (nesting from 60 to 10,000 deep, text that is not JSON, prototype keys).
 */
export function bodyText(schema: Schema | undefined): Arbitrary<string> {
  const fits = schema ? fitting(schema) : fc.jsonValue({ maxDepth: 2 });
  const broken = fc.oneof(
    fc.tuple(fits, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([value, key, extra]) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value, [key || 'x']: extra } : value,
    ),
    fits.chain((value) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0
        ? fc.tuple(fc.constantFrom(...Object.keys(value)), fc.jsonValue({ maxDepth: 2 })).map(([key, wrong]) => ({ ...value, [key]: wrong }))
        : fc.constant(value),
    ),
    fc.jsonValue({ maxDepth: 4 }),
  );
  const hostile = fc.oneof(
    fc.integer({ min: 60, max: 10_000 }).map((depth) => `{"endpoint":"site","source":"pass","args":${nestedText(depth)},"tasks":${nestedText(depth)},"name":"x"}`),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('', '{', '[]', 'null', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}'),
  );
  return fc.oneof(
    { weight: 5, arbitrary: fits.map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: broken.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: hostile },
  );
}
