import type { WasmPythonMessage, WasmThreadData, WasmThreadReply } from './wasm-messages.js';

/** Python in WebAssembly (Pyodide) inside a pool thread. */
export class PythonInWasm {
  constructor(
    private readonly data: WasmThreadData,
    private readonly post: (reply: WasmThreadReply) => void,
  ) {}

  async load(): Promise<string> {
    throw new Error('not available in this build');
  }

  async run(message: WasmPythonMessage): Promise<void> {
    const at = performance.timeOrigin + performance.now();
    this.post({ t: 'err', i: message.i, ts0: at, ts1: at, e: { ename: 'WasmModuleError', evalue: `no Python here (${this.data.scratchRoot})`, traceback: [] } });
  }
}
