/**
 * What a name may be, for every kind of name, in one place: the hub's schemas, the endpoint's config, the CLI
 * and the extension all check these. Free text (function names, descriptions, sites) may hold any character
 * but control and formatting ones (NUL, terminal escapes, right-to-left overrides, zero-width characters),
 * which would let a name print as something it is not.
 */
export interface NameRule {
  /** A JSON-schema `pattern` (a Unicode regular expression). */
  pattern: string;
  /** What to change, said to the user: "use …". */
  rule: string;
  /** What it is called in a message. */
  label: string;
}

export const NAME_RULES = {
  endpoint: {
    label: 'endpoint name',
    pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
    rule: 'use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
  },
  endpoint_group: {
    label: 'endpoint group name',
    // The endpoint name's language, its class written in another order: a schema error maps back to its rule by
    // the pattern's text, and this one says "endpoint group name".
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
    rule: 'use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
  },
  user: {
    label: 'user name',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$',
    rule: 'use 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  },
  group: {
    label: 'group name',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$',
    rule: 'use 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  },
  function: {
    label: 'function name',
    pattern: '^[^\\p{C}]{1,100}$',
    rule: 'use 1 to 100 characters, none of them control or formatting characters',
  },
  image: {
    label: 'container image',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}$',
    rule: 'use an image reference such as localhost/funcx-python:bookworm or docker.io/library/python:3.11 (letters, digits, ".", "_", "/", ":", "@", "+", "-")',
  },
  taskGroup: {
    label: 'task group',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
    rule: 'use 1 to 128 letters, digits, ".", "_", ":" or "-" (a UUID is a good one)',
  },
  session: {
    label: 'session name',
    // Written apart from the other patterns, which a schema error is mapped back from by its text.
    pattern: '^[A-Za-z0-9][-A-Za-z0-9._]{0,63}$',
    rule: 'use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit',
  },
  site: {
    label: 'site',
    pattern: '^[^\\p{C}]{0,200}$',
    rule: 'use at most 200 characters, none of them control or formatting characters',
  },
  description: {
    label: 'description',
    pattern: '^(?:[^\\p{C}]|[\\n\\t])*$',
    rule: 'use text without control or formatting characters (new lines and tabs are fine)',
  },
} as const satisfies Record<string, NameRule>;

export type NameKind = keyof typeof NAME_RULES;

const compiled = new Map<NameKind, RegExp>();

/** Whether `value` is a valid name of this kind. */
export function isValidName(kind: NameKind, value: string): boolean {
  let pattern = compiled.get(kind);
  if (!pattern) compiled.set(kind, (pattern = new RegExp(NAME_RULES[kind].pattern, 'u')));
  return pattern.test(value);
}

/** `"x" is not a valid endpoint name: use …`, or undefined when it is valid. */
export function nameProblem(kind: NameKind, value: string): string | undefined {
  if (isValidName(kind, value)) return undefined;
  return `${JSON.stringify(value)} is not a valid ${NAME_RULES[kind].label}: ${NAME_RULES[kind].rule}`;
}

/** An endpoint as users write it when it is not their own: `owner/name`. */
export function qualifiedEndpointName(owner: string, name: string): string {
  return `${owner}/${name}`;
}

/** How `user` writes an endpoint: its bare name when it is their own, `owner/name` when it is shared with them. */
export function endpointRef(user: string, endpoint: { owner: string; name: string }): string {
  return endpoint.owner === user ? endpoint.name : qualifiedEndpointName(endpoint.owner, endpoint.name);
}
