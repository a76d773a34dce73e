import type { EndpointCapabilities, IsolationLevel } from '@funcx/protocol';
import type { LogLevel } from './log.js';
import type { WasmRunnerOptions } from './wasm/wasm-runner.js';

/** The fields of config.yaml that say how WebAssembly runs here (see docs/wasm.md). */
export interface WasmConfig {
  /** Warm threads of the manager's WebAssembly pool; 0 runs no wasm functions here. */
  wasm_threads?: number;
  /** Cap on each instance's memory, MiB (a module's own maximum applies when lower). */
  wasm_memory_mb?: number;
  /** Longest a wasm task runs, seconds (a task's shorter timeout_s applies). */
  wasm_time_limit_s?: number;
  /** Offer Python in WebAssembly (Pyodide, run in the same pool) for functions with isolation "wasm". */
  pyodide?: boolean;
  /** `wasm`: every Python function runs in Pyodide here, never in a process (for users the endpoint does not trust). */
  isolation?: IsolationLevel;
}

export const WASM_CONFIG_FIELDS = ['wasm_threads', 'wasm_memory_mb', 'wasm_time_limit_s', 'pyodide', 'isolation'];

export const DEFAULT_WASM_THREADS = 2;
export const DEFAULT_WASM_MEMORY_MB = 256;
export const DEFAULT_WASM_TIME_LIMIT_S = 60;
const MAX_WASM_THREADS = 256;
/** A 32-bit memory holds at most 4 GiB. */
const MAX_WASM_MEMORY_MB = 4096;

function positiveNumber(data: Record<string, unknown>, key: string, max: number, example: string): number | undefined {
  const value = data[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new Error(`${key} must be a number above 0 and at most ${max}, e.g. ${key}: ${example} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** Checks the WebAssembly fields of a parsed config.yaml; each problem names the field and what to put there. */
export function validateWasmConfig(data: Record<string, unknown>): WasmConfig {
  const config: WasmConfig = {};
  if (data.wasm_threads !== undefined) {
    const threads = data.wasm_threads;
    if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 0 || threads > MAX_WASM_THREADS) {
      throw new Error(`wasm_threads must be a whole number from 0 (no wasm functions) to ${MAX_WASM_THREADS} (got ${JSON.stringify(threads)})`);
    }
    config.wasm_threads = threads;
  }
  const memory = positiveNumber(data, 'wasm_memory_mb', MAX_WASM_MEMORY_MB, '256');
  if (memory !== undefined) config.wasm_memory_mb = memory;
  const limit = positiveNumber(data, 'wasm_time_limit_s', 14 * 24 * 3600, '60');
  if (limit !== undefined) config.wasm_time_limit_s = limit;
  if (data.pyodide !== undefined) {
    if (typeof data.pyodide !== 'boolean') throw new Error('pyodide must be true or false');
    config.pyodide = data.pyodide;
  }
  if (data.isolation !== undefined) {
    if (data.isolation !== 'process' && data.isolation !== 'wasm') {
      throw new Error(`isolation must be process or wasm (got ${JSON.stringify(data.isolation)})`);
    }
    config.isolation = data.isolation;
  }
  if (config.isolation === 'wasm' && config.pyodide === false) {
    throw new Error('isolation: wasm runs Python in Pyodide; it cannot be combined with pyodide: false');
  }
  if ((config.isolation === 'wasm' || config.pyodide) && config.wasm_threads === 0) {
    throw new Error('pyodide and isolation: wasm run Python in the WebAssembly pool; give it threads (wasm_threads above 0)');
  }
  return config;
}

/** Whether Python may run in Pyodide here. */
export function offersPyodide(config: WasmConfig): boolean {
  return config.pyodide === true || config.isolation === 'wasm';
}

/** What the endpoint says it runs in its hello. */
export function endpointCapabilities(config: WasmConfig): EndpointCapabilities {
  const threads = config.wasm_threads ?? DEFAULT_WASM_THREADS;
  if (threads === 0) return { languages: ['python'], isolation: ['process'] };
  const isolation: IsolationLevel[] = config.isolation === 'wasm' ? ['wasm'] : offersPyodide(config) ? ['process', 'wasm'] : ['process'];
  return { languages: ['python', 'wasm'], isolation };
}

/** How a manager runs its WebAssembly pool, from the endpoint's config. */
export function wasmRunnerOptions(
  config: WasmConfig,
  scratchRoot: string,
  outputBytes: number | undefined,
  log: (level: LogLevel, line: string) => void,
): WasmRunnerOptions {
  const options: WasmRunnerOptions = {
    threads: config.wasm_threads ?? DEFAULT_WASM_THREADS,
    memoryMb: config.wasm_memory_mb ?? DEFAULT_WASM_MEMORY_MB,
    timeLimitS: config.wasm_time_limit_s ?? DEFAULT_WASM_TIME_LIMIT_S,
    scratchRoot,
    pyodide: offersPyodide(config),
    isolation: config.isolation ?? 'process',
    log,
  };
  if (outputBytes !== undefined) options.outputBytes = outputBytes;
  return options;
}
