import { FuncxError, capabilityProblem, endpointRef, type EndpointRecord, type FunctionRecord } from '@funcx/protocol';

/** Whether the endpoint said it runs functions like this one (language, isolation). */
export function canRun(endpoint: EndpointRecord, fn: FunctionRecord): boolean {
  if (fn.language === 'python' && fn.isolation === undefined) return true;
  return capabilityProblem(endpoint.capabilities, fn) === undefined;
}

function describeFunction(fn: FunctionRecord): string {
  const kind = fn.language === 'wasm' ? 'a wasm function' : fn.isolation === 'wasm' ? 'a Python function with isolation "wasm"' : 'a Python function';
  return fn.ephemeral ? `inline source (${kind})` : `function ${fn.function_id} ("${fn.name}", ${kind})`;
}

function howToEnable(fn: FunctionRecord): string {
  return fn.language === 'wasm'
    ? 'wasm functions run at endpoints whose config.yaml leaves wasm_threads above 0 (the default); restart an older endpoint with this version'
    : 'Python in WebAssembly runs at endpoints with pyodide: true in config.yaml (the pyodide package installed beside the endpoint)';
}

/** A 409 FUNCX_ENDPOINT_INCAPABLE unless the endpoint runs functions like this one. */
export function assertCanRun(user: string, endpoint: EndpointRecord, fn: FunctionRecord): void {
  if (canRun(endpoint, fn)) return;
  throw new FuncxError(
    'FUNCX_ENDPOINT_INCAPABLE',
    `Endpoint "${endpointRef(user, endpoint)}" cannot run ${describeFunction(fn)}: ${capabilityProblem(endpoint.capabilities, fn)}. ` +
      `Send it to an endpoint that can (${howToEnable(fn)})`,
  );
}

/** A 409 FUNCX_ENDPOINT_INCAPABLE for a group or list of which no endpoint runs functions like this one. */
export function noneCanRun(among: string, fn: FunctionRecord): FuncxError {
  return new FuncxError(
    'FUNCX_ENDPOINT_INCAPABLE',
    `None of ${among} can run ${describeFunction(fn)}: ${howToEnable(fn)}`,
  );
}
