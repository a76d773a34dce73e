import { webAssembly } from '@funcx/node-common';
import { FuncxError, MAX_WASM_MODULE_BYTES, readWasmMemories, wasmMemoryProblem, type FunctionRegistration } from '@funcx/protocol';

/** The only module whose imports an endpoint provides: WASI preview 1. */
export const WASI_MODULE = 'wasi_snapshot_preview1';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function invalid(detail: string): FuncxError {
  return new FuncxError('FUNCX_WASM_INVALID', `body/source is not a WebAssembly module an endpoint can run: ${detail}`);
}

/**
 * Checks a `wasm` function before it is stored: its source is the module's bytes in base64, at most
 * MAX_WASM_MODULE_BYTES, a valid module (compiled here, never instantiated), importing only WASI functions, defining
 * a memory an endpoint can cap, and exporting its entrypoint as a function (or `_start` without one). Each problem
 * is a 400 that says what to change (a module too large, a 413).
 */
export async function checkWasmRegistration(registration: FunctionRegistration): Promise<void> {
  const text = registration.source.replace(/\s+/g, '');
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw invalid('a wasm function\'s source must be the module\'s bytes in base64 (e.g. base64 -w0 module.wasm)');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length > MAX_WASM_MODULE_BYTES) {
    throw new FuncxError(
      'FUNCX_PAYLOAD_TOO_LARGE',
      `The module is ${(bytes.length / 2 ** 20).toFixed(1)} MiB; a wasm function may be at most ${MAX_WASM_MODULE_BYTES / 2 ** 20} MiB: ` +
        'build it with -O2 or -Os and strip its debug sections (wasm-strip, or clang -s)',
    );
  }
  if (registration.isolation === 'process') throw invalid('isolation "process" is for Python functions; a wasm function always runs in WebAssembly');
  if (!webAssembly.validate(bytes)) {
    let reason = 'it does not validate';
    try {
      await webAssembly.compile(bytes);
    } catch (error) {
      reason = `it does not validate (${(error as Error).message.replace(/^WebAssembly\.compile\(\): /, '')})`;
    }
    throw invalid(`${reason}; upload the .wasm file itself (compiled for wasm32-wasi), not its text form`);
  }
  const module = await webAssembly.compile(bytes);
  const foreign = webAssembly.Module.imports(module).filter((entry) => entry.module !== WASI_MODULE || entry.kind !== 'function');
  if (foreign.length > 0) {
    const names = foreign.slice(0, 5).map((entry) => `${entry.module}.${entry.name} (${entry.kind})`).join(', ');
    throw invalid(`it imports ${names}; endpoints provide only the functions of ${WASI_MODULE} (build with --target=wasm32-wasi)`);
  }
  const memoryProblem = wasmMemoryProblem(readWasmMemories(bytes));
  if (memoryProblem) throw invalid(memoryProblem);
  const exports = webAssembly.Module.exports(module);
  const wanted = registration.entrypoint ?? '_start';
  const entry = exports.find((candidate) => candidate.name === wanted);
  if (!entry || entry.kind !== 'function') {
    const functions = exports.filter((candidate) => candidate.kind === 'function').map((candidate) => candidate.name);
    const listed = functions.length > 0 ? `it exports the functions ${functions.slice(0, 10).join(', ')}` : 'it exports no functions';
    throw invalid(
      registration.entrypoint === undefined
        ? `without an entrypoint the module runs as a WASI command, but it has no _start (${listed}): name one as entrypoint, or build a command (a main function)`
        : `it has no exported function "${wanted}" (${listed})`,
    );
  }
}
