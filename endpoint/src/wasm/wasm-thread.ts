/**
 * One thread of a manager's WebAssembly pool (started by wasm-runner.ts): runs one task at a time, each in a fresh
 * instance of its module (compiled once in the manager and kept here by digest), with WASI through
 * wasi-imports.ts. What it prints is posted as it is written; the end of a task is `ok` or `err`. A task that
 * never ends is stopped from outside (the thread is terminated and replaced).
 */
import { closeSync, mkdtempSync, openSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { parentPort, workerData } from 'node:worker_threads';
import { formatBytes, pagesToMiB, WASM_PAGE_BYTES, type StreamName, type TaskError } from '@funcx/protocol';
import { epochMs, webAssembly, type WasmMemory, type WasmModule } from '@funcx/node-common';
import { callExport, commandResult, exportResult, WasmArgumentError } from './wasm-call.js';
import { WASM_ERRORS, progressViews, type ToWasmThread, type WasmRunMessage, type WasmThreadData, type WasmThreadReply } from './wasm-messages.js';
import { OutputStream } from './output-stream.js';
import { wasiImports, WasiExit } from './wasi-imports.js';
import { PythonInWasm } from './pyodide-host.js';

const port = parentPort!;
const data = workerData as WasmThreadData;
const modules = new Map<string, { module: WasmModule; uses: Uses }>();

/** What of WASI a module imports: nothing (pure computation: no WASI at all), or files too (a scratch directory). */
interface Uses {
  wasi: boolean;
  files: boolean;
}

function usesOf(module: WasmModule): Uses {
  const names = webAssembly.Module.imports(module).map((entry) => entry.name);
  return { wasi: names.length > 0, files: names.some((name) => name.startsWith('path_') || name === 'fd_prestat_get') };
}

/** An empty scratch directory is one rmdir; one the task filled is removed with what is in it. */
function removeScratch(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}
const now = epochMs;
const progress = progressViews(data.progress);

/**
 * Completions wait to go together: at the end of what the thread was sent, or 16 of them (half of what a thread may
 * hold, so it has tasks left while the pool sends it more); anything else flushes them and goes at once.
 */
const COMPLETIONS_TOGETHER = 16;
let pending: WasmThreadReply[] = [];
function flush(): void {
  if (pending.length === 0) return;
  port.postMessage(pending);
  pending = [];
}
function post(reply: WasmThreadReply): void {
  pending.push(reply);
  if ((reply.t !== 'ok' && reply.t !== 'err') || pending.length >= COMPLETIONS_TOGETHER) flush();
}

/** Output of one task, cut at the endpoint's limit (one note, then nothing), so a chatty module cannot flood the manager. */
function taskOutput(taskId: string): (name: StreamName, text: string) => void {
  const limit = data.outputBytes;
  let sent = 0;
  return (name, text) => {
    if (limit !== undefined) {
      if (sent > limit) return;
      sent += text.length;
      if (sent > limit) {
        const note = `\n[funcx: further output of this task was dropped: it passed the endpoint's limit of ${formatBytes(limit)} (limits.output_bytes)]\n`;
        post({ t: 'o', i: taskId, n: 'stderr', x: note });
        return;
      }
    }
    post({ t: 'o', i: taskId, n: name, x: text });
  };
}

function error(ename: string, evalue: string, stack?: string): TaskError {
  const frames = (stack ?? '').split('\n').filter((line) => line.includes('wasm://') || line.includes('wasm-function'));
  return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames.map((line) => line.trim())] };
}

/** What a failure was: out of memory when the memory had reached its cap, else a trap or an exit code. */
function failure(thrown: unknown, memory: WasmMemory | undefined, maxPages: number, stderr: OutputStream): TaskError {
  const pages = memory ? memory.buffer.byteLength / WASM_PAGE_BYTES : 0;
  const lastWords = stderr.lastLine ? ` (its last line on stderr: ${stderr.lastLine.slice(0, 500)})` : '';
  let how: string;
  let stack: string | undefined;
  if (thrown instanceof WasiExit) how = `exited with code ${thrown.code}`;
  else if (thrown instanceof webAssembly.RuntimeError) {
    how = `trapped: ${(thrown as Error).message}`;
    stack = (thrown as Error).stack;
  } else if (thrown instanceof RangeError && /call stack/i.test(thrown.message)) {
    how = 'trapped: call stack exhausted';
    stack = thrown.stack;
  } else if (thrown instanceof RangeError && /memory/i.test(thrown.message)) {
    return error(WASM_ERRORS.outOfMemory, `the module could not get its memory (${thrown.message}); the cap is ${pagesToMiB(maxPages)} (wasm_memory_mb)`);
  } else if (thrown instanceof WasmArgumentError) {
    return error(WASM_ERRORS.badArguments, thrown.message);
  } else {
    how = `failed: ${(thrown as Error)?.message ?? String(thrown)}`;
  }
  // Within 2 MiB of the cap: an allocation bigger than what is left failed, and the module gave up.
  if (memory && pages >= maxPages - 32) {
    return error(
      WASM_ERRORS.outOfMemory,
      `the module ${how} with its memory at ${pagesToMiB(pages)} of its cap of ${pagesToMiB(maxPages)} (wasm_memory_mb): it ran out of memory${lastWords}`,
      stack,
    );
  }
  if (thrown instanceof WasiExit) return error(WASM_ERRORS.exit, `the module ${how}${lastWords}`);
  return error(WASM_ERRORS.trap, `the module ${how}${lastWords}`, stack);
}

function runModule(message: WasmRunMessage): void {
  const ts0 = now();
  if (message.module) modules.set(message.digest, { module: message.module, uses: usesOf(message.module) });
  const known = modules.get(message.digest);
  if (!known) {
    post({ t: 'err', i: message.i, ts0, ts1: now(), e: error(WASM_ERRORS.module, `the module (${message.digest}) did not reach this thread`) });
    return;
  }
  const send = taskOutput(message.i);
  const stdout = new OutputStream('stdout', send);
  const stderr = new OutputStream('stderr', send);
  const { module, uses } = known;
  const scratch = uses.files ? mkdtempSync(join(data.scratchRoot, 'task-')) : undefined;
  const devNull = uses.wasi ? openSync('/dev/null', 'r+') : undefined;
  let memory: WasmMemory | undefined;
  try {
    let wasi: WASI | undefined;
    let imports = {};
    if (uses.wasi) {
      wasi = new WASI({
        version: 'preview1',
        args: [message.name],
        env: {},
        preopens: scratch ? { '/scratch': scratch } : {},
        stdin: devNull,
        stdout: devNull,
        stderr: devNull,
        returnOnExit: true,
      });
      const stdin = new TextEncoder().encode(JSON.stringify(message.args) + '\n');
      imports = { wasi_snapshot_preview1: wasiImports(wasi, { stdin, stdout, stderr, memory: () => memory }) };
    }
    const instance = new webAssembly.Instance(module, imports);
    memory = instance.exports.memory as WasmMemory | undefined;
    let result;
    if (message.entrypoint === undefined) {
      if (wasi) wasi.start(instance as never);
      else (instance.exports._start as () => void)();
      stdout.flush();
      result = commandResult(stdout.lastLine);
    } else {
      // node:wasi needs the memory before any call; a module's own _initialize (a reactor's constructors) runs first.
      const initialize = instance.exports._initialize;
      if (wasi && memory) wasi.initialize({ exports: { memory, ...(typeof initialize === 'function' ? { _initialize: initialize } : {}) } } as never);
      else if (typeof initialize === 'function') (initialize as () => void)();
      result = exportResult(callExport(instance.exports[message.entrypoint] as (...args: unknown[]) => unknown, message.args, message.entrypoint));
    }
    stdout.flush();
    stderr.flush();
    post({ t: 'ok', i: message.i, ts0, ts1: now(), r: result });
  } catch (thrown) {
    stdout.flush();
    stderr.flush();
    if (thrown instanceof WasiExit && thrown.code === 0) {
      post({ t: 'ok', i: message.i, ts0, ts1: now(), r: commandResult(stdout.lastLine) });
    } else {
      post({ t: 'err', i: message.i, ts0, ts1: now(), e: failure(thrown, memory, message.maxPages, stderr) });
    }
  } finally {
    if (devNull !== undefined) closeSync(devNull);
    if (scratch) removeScratch(scratch);
  }
}

const python = data.pyodide ? new PythonInWasm(post, taskOutput) : undefined;

port.on('message', (messages: ToWasmThread[]) => {
  for (const message of messages) {
    progress.since[0] = now();
    Atomics.store(progress.running, 0, message.s);
    if (message.t === 'run') runModule(message);
    else if (python) python.run(message);
    else post({ t: 'err', i: message.i, ts0: now(), ts1: now(), e: error(WASM_ERRORS.module, 'this thread runs no Python (pyodide is off)') });
  }
  Atomics.store(progress.running, 0, 0);
  flush();
});

if (python) {
  python.load().then(
    (version) => post({ t: 'ready', pyodide: version }),
    (problem: Error) => post({ t: 'failed', reason: `Pyodide could not be loaded: ${problem.message}` }),
  );
} else {
  post({ t: 'ready' });
}
