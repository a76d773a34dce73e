/**
 * Node's WebAssembly global, typed: TypeScript declares it only in the DOM library, which these packages do not
 * load. Only what the hub and the endpoint use.
 */

export type WasmExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface WasmExportDescriptor {
  name: string;
  kind: WasmExternKind;
}

export interface WasmImportDescriptor extends WasmExportDescriptor {
  module: string;
}

/** A compiled module (it can be posted to a worker thread). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: { [name: string]: unknown };
}

export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<WasmInstance>;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): WasmImportDescriptor[];
    exports(module: WasmModule): WasmExportDescriptor[];
  };
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  RuntimeError: new (message?: string) => Error;
  CompileError: new (message?: string) => Error;
  LinkError: new (message?: string) => Error;
}

export const webAssembly: WebAssemblyApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
