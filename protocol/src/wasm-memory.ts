/**
 * The memories a WebAssembly module declares, read from its binary (the memory section), and the same module
 * with every memory given a maximum: the hub refuses memories an endpoint cannot cap, an endpoint caps each
 * instance's memory this way before it compiles the module (a grow past the maximum fails inside the module).
 */

/** Bytes in one WebAssembly page. */
export const WASM_PAGE_BYTES = 65_536;

export interface WasmMemoryLimits {
  /** Pages at start. */
  min: number;
  /** Pages it may grow to, when the module says. */
  max?: number;
  shared: boolean;
  memory64: boolean;
}

export interface WasmMemories {
  /** Memories the module defines itself, in order. */
  defined: WasmMemoryLimits[];
  /** Memories it imports (an endpoint provides none). */
  imported: number;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }
  byte(): number {
    if (this.offset >= this.bytes.length) throw new Error('the module ends in the middle of a section');
    return this.bytes[this.offset++];
  }
  /** An unsigned LEB128 up to 2^53 (memory64 limits may be 64-bit). */
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Error('a number in the module is longer than 10 bytes');
  }
  skip(n: number): void {
    if (this.offset + n > this.bytes.length) throw new Error('the module ends in the middle of a section');
    this.offset += n;
  }
  name(): void {
    this.skip(this.uleb());
  }
  limits(): WasmMemoryLimits {
    const flags = this.byte();
    if (flags > 0x07) throw new Error(`unknown memory limits flags 0x${flags.toString(16)}`);
    const min = this.uleb();
    const limits: WasmMemoryLimits = { min, shared: (flags & 0x02) !== 0, memory64: (flags & 0x04) !== 0 };
    if (flags & 0x01) limits.max = this.uleb();
    return limits;
  }
}

interface Section {
  id: number;
  /** Where its content starts and ends. */
  start: number;
  end: number;
  /** Where the section starts (its id byte). */
  headerStart: number;
}

function sections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('it does not start with the WebAssembly magic number (\\0asm)');
  }
  const reader = new Reader(bytes, 8);
  const found: Section[] = [];
  while (reader.offset < bytes.length) {
    const headerStart = reader.offset;
    const id = reader.byte();
    const size = reader.uleb();
    const start = reader.offset;
    reader.skip(size);
    found.push({ id, start, end: start + size, headerStart });
  }
  return found;
}

function skipImportDescription(reader: Reader, kind: number): void {
  switch (kind) {
    case 0x00: // function: a type index
      reader.uleb();
      return;
    case 0x01: // table: a reference type and limits
      reader.byte();
      reader.limits();
      return;
    case 0x02: // memory
      reader.limits();
      return;
    case 0x03: // global: a value type and mutability
      reader.byte();
      reader.byte();
      return;
    case 0x04: // tag: an attribute and a type index
      reader.byte();
      reader.uleb();
      return;
    default:
      throw new Error(`unknown import kind 0x${kind.toString(16)}`);
  }
}

/** The module's memories; throws with what is wrong when its sections cannot be read. */
export function readWasmMemories(bytes: Uint8Array): WasmMemories {
  const result: WasmMemories = { defined: [], imported: 0 };
  for (const section of sections(bytes)) {
    const reader = new Reader(bytes.subarray(0, section.end), section.start);
    if (section.id === SECTION_IMPORT) {
      const count = reader.uleb();
      for (let i = 0; i < count; i++) {
        reader.name();
        reader.name();
        const kind = reader.byte();
        if (kind === 0x02) result.imported++;
        skipImportDescription(reader, kind);
      }
    } else if (section.id === SECTION_MEMORY) {
      const count = reader.uleb();
      for (let i = 0; i < count; i++) result.defined.push(reader.limits());
    }
  }
  return result;
}

/** Why an endpoint cannot cap this module's memory, or undefined. */
export function wasmMemoryProblem(memories: WasmMemories): string | undefined {
  if (memories.imported > 0) return 'it imports its memory; a module must define its own (clang does unless given --import-memory)';
  if (memories.defined.some((memory) => memory.shared)) return 'its memory is shared (threads); endpoints run modules without threads';
  if (memories.defined.some((memory) => memory.memory64)) return 'its memory is 64-bit (memory64); endpoints run 32-bit memories only';
  return undefined;
}

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/**
 * The module with each memory's maximum at most `maxPages` (memories without a maximum get that one). Throws when
 * a memory needs more than `maxPages` at start, or cannot be capped (wasmMemoryProblem).
 */
export function capWasmMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const memories = readWasmMemories(bytes);
  const problem = wasmMemoryProblem(memories);
  if (problem) throw new Error(problem);
  const section = sections(bytes).find((candidate) => candidate.id === SECTION_MEMORY);
  if (!section) return bytes;
  const content: number[] = uleb(memories.defined.length);
  for (const memory of memories.defined) {
    if (memory.min > maxPages) {
      throw new Error(
        `it needs ${pagesToMiB(memory.min)} of memory at start, more than the endpoint's cap of ${pagesToMiB(maxPages)}`,
      );
    }
    const max = Math.min(memory.max ?? maxPages, maxPages);
    content.push(0x01, ...uleb(memory.min), ...uleb(max));
  }
  const header = [SECTION_MEMORY, ...uleb(content.length)];
  const out = new Uint8Array(section.headerStart + header.length + content.length + (bytes.length - section.end));
  out.set(bytes.subarray(0, section.headerStart), 0);
  out.set(header, section.headerStart);
  out.set(content, section.headerStart + header.length);
  out.set(bytes.subarray(section.end), section.headerStart + header.length + content.length);
  return out;
}

/** "64 MiB", "1.5 MiB". */
export function pagesToMiB(pages: number): string {
  const mib = (pages * WASM_PAGE_BYTES) / 2 ** 20;
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}
