import { createHash } from 'node:crypto';
import { capWasmMemory, readWasmMemories, type FunctionCode } from '@funcx/protocol';
import { webAssembly, type WasmModule } from '@funcx/node-common';

/** A wasm function's module, compiled with its memory capped, ready to be posted to threads. */
export interface CompiledModule {
  digest: string;
  module: WasmModule;
  /** The instance's memory cap in pages (its own maximum, if lower than the endpoint's). */
  maxPages: number;
}

export type Compilation = CompiledModule | { problem: string };

/**
 * Modules compiled once per manager, kept by the digest of their bytes (two functions with one module share it)
 * and looked up by function id. Each is compiled off the event loop's hot path (WebAssembly.compile) with every
 * memory's maximum set to at most the endpoint's cap.
 */
export class WasmModules {
  private readonly byDigest = new Map<string, Promise<Compilation>>();
  private readonly byFunction = new Map<string, Compilation>();
  private readonly pending = new Map<string, Promise<Compilation>>();

  constructor(private readonly capPages: number) {}

  /** The compiled module of a function, once ready (undefined while it compiles). */
  get(functionId: string): Compilation | undefined {
    return this.byFunction.get(functionId);
  }

  /** Starts compiling the function's module unless it is compiled or compiling; resolves when it is ready. */
  prepare(code: FunctionCode): Promise<Compilation> {
    const known = this.byFunction.get(code.function_id);
    if (known) return Promise.resolve(known);
    let pending = this.pending.get(code.function_id);
    if (!pending) {
      const bytes = Buffer.from(code.source, 'base64');
      const sourceDigest = createHash('sha256').update(bytes).digest('hex');
      let compiling = this.byDigest.get(sourceDigest);
      if (!compiling) this.byDigest.set(sourceDigest, (compiling = this.compile(bytes)));
      pending = compiling.then((compilation) => {
        this.byFunction.set(code.function_id, compilation);
        this.pending.delete(code.function_id);
        return compilation;
      });
      this.pending.set(code.function_id, pending);
    }
    return pending;
  }

  private async compile(bytes: Uint8Array): Promise<Compilation> {
    let capped: Uint8Array;
    try {
      capped = capWasmMemory(bytes, this.capPages);
    } catch (error) {
      return { problem: `the module cannot run here: ${(error as Error).message}` };
    }
    try {
      const module = await webAssembly.compile(capped);
      const memory = readWasmMemories(capped).defined[0];
      return { digest: createHash('sha256').update(capped).digest('hex'), module, maxPages: memory?.max ?? this.capPages };
    } catch (error) {
      return { problem: `the module does not compile: ${(error as Error).message}` };
    }
  }
}
