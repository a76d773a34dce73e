import { FuncxError, endpointRef, type EndpointRecord, type FunctionRecord } from '@funcx/protocol';

/** A list of allowed functions as kept: ids in lower case, each once, in the order given. */
export function normalizeFunctionIds(ids: string[]): string[] {
  return [...new Set(ids.map((id) => id.toLowerCase()))];
}

/** Lists as sets, made once per list object (an endpoint may allow 10,000 functions). */
const sets = new WeakMap<string[], Set<string>>();

function allows(list: string[], functionId: string): boolean {
  if (list.length < 16) return list.includes(functionId);
  let set = sets.get(list);
  if (!set) sets.set(list, (set = new Set(list)));
  return set.has(functionId);
}

/** Whether the endpoint runs this function (it runs any without a list). */
export function runsFunction(endpoint: EndpointRecord, fn: FunctionRecord): boolean {
  const list = endpoint.allowed_functions;
  return !list || allows(list, fn.function_id);
}

/** A 403 FUNCX_FUNCTION_NOT_PERMITTED unless the endpoint runs this function (it runs any without a list). */
export function assertFunctionAllowed(user: string, endpoint: EndpointRecord, fn: FunctionRecord): void {
  if (runsFunction(endpoint, fn)) return;
  const which = fn.ephemeral
    ? `inline source (it runs as function ${fn.function_id}, made for that source): register the function and ask for its id to be allowed`
    : `function ${fn.function_id} ("${fn.name}")`;
  throw new FuncxError(
    'FUNCX_FUNCTION_NOT_PERMITTED',
    `Endpoint "${endpointRef(user, endpoint)}" runs only the functions it allows, and not ${which}. ` +
      `Its owner (${endpoint.owner}) or one of its admins may allow it: allowed_functions in the endpoint's config, or ` +
      `PUT /v1/endpoints/${endpoint.endpoint_id}/sharing {"allowed_functions": [...]}`,
  );
}
