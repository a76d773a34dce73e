/** The languages a function is written in: Python source, or a WebAssembly (WASI) module. */
export const FUNCTION_LANGUAGES = ['python', 'wasm'] as const;
export type FunctionLanguage = (typeof FUNCTION_LANGUAGES)[number];

/**
 * How a function's code is kept from the machine that runs it: `process` (a Python worker process, sandboxed as
 * the endpoint's config says), `wasm` (inside WebAssembly: a WASI module, or Python through Pyodide).
 */
export const ISOLATION_LEVELS = ['process', 'wasm'] as const;
export type IsolationLevel = (typeof ISOLATION_LEVELS)[number];

/** What an endpoint can run, as its daemon says in every hello. */
export interface EndpointCapabilities {
  languages: FunctionLanguage[];
  /** Isolation levels it offers for Python functions (a wasm function always runs in WebAssembly). */
  isolation: IsolationLevel[];
}

/** What an endpoint that never said (one from before capabilities, or not yet connected) is taken to run. */
export const DEFAULT_CAPABILITIES: EndpointCapabilities = { languages: ['python'], isolation: ['process'] };

/** Largest WebAssembly module a function may be (its bytes, before base64). */
export const MAX_WASM_MODULE_BYTES = 4 * 1024 * 1024;

/** What a function needs of the endpoint that runs it. */
export interface FunctionNeeds {
  language?: FunctionLanguage;
  isolation?: IsolationLevel;
}

/** Why an endpoint with these capabilities cannot run the function, in words; undefined when it can. */
export function capabilityProblem(capabilities: EndpointCapabilities | undefined, needs: FunctionNeeds): string | undefined {
  const has = capabilities ?? DEFAULT_CAPABILITIES;
  const language = needs.language ?? 'python';
  if (!has.languages.includes(language)) {
    return `it runs ${describeList(has.languages)} functions, not ${language} (its daemon said so${capabilities ? '' : ', or has not connected yet'})`;
  }
  if (language === 'python' && needs.isolation !== undefined && !has.isolation.includes(needs.isolation)) {
    return `it runs Python with ${describeList(has.isolation)} isolation, not ${needs.isolation}`;
  }
  return undefined;
}

function describeList(items: readonly string[]): string {
  return items.length === 0 ? 'no' : items.join(' and ');
}
