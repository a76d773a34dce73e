import type { JsonValue, StreamName, TaskError, TaskResult } from '@funcx/protocol';
import type { WasmModule } from '@funcx/node-common';

/**
 * What a manager's WebAssembly pool (wasm-runner.ts) and its threads (wasm-thread.ts) say to each other through
 * postMessage, several messages to a postMessage both ways (arrays). A thread runs its tasks one at a time, in
 * order, and keeps in `progress` (shared memory) which task it is running and since when, so the pool can tell
 * which task passed its time limit while completions are still on their way. Times are epoch milliseconds.
 */

/** Given to every thread when it starts. */
export interface WasmThreadData {
  /** Where each task's empty scratch directory is made (and removed after it). */
  scratchRoot: string;
  /** Output forwarded per task; past it one note, then nothing. */
  outputBytes?: number;
  /** 16 bytes: an Int32 at 0, the `s` of the task running (0: none); a Float64 at 8, when it started (epoch ms). */
  progress: SharedArrayBuffer;
  /** Load Pyodide in this thread (it serves Python tasks). */
  pyodide: boolean;
}

/** Run a WASI module: its `_start` (a command), or one exported function with numbers. */
export interface WasmRunMessage {
  t: 'run';
  i: string;
  /** The task's number in this thread (1, 2, …), as `progress` shows it. */
  s: number;
  /** SHA-256 of the module as compiled (after its memory was capped): the thread keeps modules by it. */
  digest: string;
  /** The compiled module, when this thread has not been sent it yet. */
  module?: WasmModule;
  entrypoint?: string;
  /** The function's name: a command's argv[0]. */
  name: string;
  args: JsonValue[];
  /** The instance's memory cap, in pages (the module's maximum after capping). */
  maxPages: number;
}

/** Run Python source in the thread's Pyodide, like a worker runs it (a cell, or a named function called). */
export interface WasmPythonMessage {
  t: 'py';
  i: string;
  s: number;
  source: string;
  entrypoint?: string;
  args: JsonValue[];
  kwargs: { [key: string]: JsonValue };
}

export type ToWasmThread = WasmRunMessage | WasmPythonMessage;

export type WasmThreadReply =
  | { t: 'ready'; pyodide?: string }
  | { t: 'o'; i: string; n: StreamName; x: string }
  | { t: 'ok'; i: string; ts0: number; ts1: number; r: TaskResult }
  | { t: 'err'; i: string; ts0: number; ts1: number; e: TaskError }
  | { t: 'failed'; reason: string };

/** enames of what fails in WebAssembly. */
export const WASM_ERRORS = {
  trap: 'WasmTrap',
  exit: 'WasmExit',
  outOfMemory: 'WasmOutOfMemory',
  badArguments: 'WasmArgumentError',
  module: 'WasmModuleError',
} as const;

/** Views of a thread's `progress`. */
export function progressViews(progress: SharedArrayBuffer): { running: Int32Array; since: Float64Array } {
  return { running: new Int32Array(progress, 0, 1), since: new Float64Array(progress, 8, 1) };
}
