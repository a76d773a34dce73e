import type { FunctionLanguage, IsolationLevel } from './capabilities.js';
import type { Sharing } from './sharing.js';

export interface FunctionRegistration {
  name: string;
  /** Python source; for a `wasm` function, the module's bytes in base64. */
  source: string;
  /**
   * Name of the function in `source` to call; without it the source runs like a notebook cell. For a `wasm`
   * function: the exported function to call, or none to run the module as a WASI command (`_start`).
   */
  entrypoint?: string;
  language: FunctionLanguage;
  /** `wasm`: run this Python function only in WebAssembly (Pyodide), at endpoints that offer it. */
  isolation?: IsolationLevel;
  description?: string;
  /** Container image its tasks run in at endpoints that run containers (a task may name another). */
  container_image?: string;
  /** Anyone with a token of this hub may run it. */
  public?: boolean;
  /**
   * Its result depends only on its code, image and arguments: a repeat call is answered by the hub from the
   * result of an earlier one (memoized), without reaching an endpoint.
   */
  pure?: boolean;
}

export interface FunctionRecord extends Required<Pick<FunctionRegistration, 'name' | 'source' | 'language'>> {
  function_id: string;
  owner: string;
  entrypoint?: string;
  isolation?: IsolationLevel;
  description?: string;
  container_image?: string;
  public: boolean;
  /** Registered pure: its tasks are memoized (see FunctionRegistration.pure). */
  pure?: boolean;
  /** Users and groups besides the owner who may run it (absent in records from before sharing: nobody). */
  shared_with?: Sharing;
  /** Created for a task submitted with inline source; not listed. */
  ephemeral?: boolean;
  created_at: number;
}

/** A function as listed (no source). */
export type FunctionSummary = Omit<FunctionRecord, 'source'>;

/** What an endpoint needs to run a function. */
export interface FunctionCode {
  function_id: string;
  source: string;
  entrypoint?: string;
  /** Absent: python. */
  language?: FunctionLanguage;
  isolation?: IsolationLevel;
}
