import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

let built: string | undefined;

/**
 * Builds the WebAssembly examples from their sources (scripts/build-wasm.sh: clang for the C ones, wat2wasm for
 * the WAT ones; a module newer than its source is kept) and returns their folder. Throws, naming the packages
 * to install, when the compilers are missing: a test of wasm functions fails rather than passes without them.
 */
export function wasmBuildDir(): string {
  if (built) return built;
  try {
    built = execFileSync(`${repoRoot}scripts/build-wasm.sh`, [], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`the WebAssembly examples could not be built (scripts/build-wasm.sh): ${stderr || (error as Error).message}`);
  }
  return built;
}

/** The bytes of examples/wasm/NAME.{c,wat}, built. */
export function wasmModule(name: string): Buffer {
  return readFileSync(join(wasmBuildDir(), `${name}.wasm`));
}

/** The same in base64: the `source` of a wasm function. */
export function wasmSource(name: string): string {
  return wasmModule(name).toString('base64');
}
