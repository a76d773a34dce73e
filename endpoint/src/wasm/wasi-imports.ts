import type { WASI } from 'node:wasi';
import type { WasmMemory } from '@funcx/node-common';
import type { OutputStream } from './output-stream.js';

/** WASI errno values (preview 1). */
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_NOTSUP = 58;

/**
 * WASI calls a task never gets, whatever node:wasi would do: links out of the scratch directory (a symlink
 * there could point anywhere), and sockets (preview 1 can use only sockets it is handed, and it is handed none).
 */
const DENIED = ['path_symlink', 'path_link', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown'] as const;

/** A module ended itself (proc_exit) with this code. */
export class WasiExit {
  constructor(readonly code: number) {}
}

export interface TaskStdio {
  stdin: Uint8Array;
  stdout: OutputStream;
  stderr: OutputStream;
  memory: () => WasmMemory | undefined;
}

type WasiFunction = (...args: number[]) => number;

function iovecs(memory: WasmMemory, pointer: number, count: number): Uint8Array[] {
  const view = new DataView(memory.buffer);
  const buffers: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const base = view.getUint32(pointer + 8 * i, true);
    const length = view.getUint32(pointer + 8 * i + 4, true);
    if (base + length > memory.buffer.byteLength) throw new RangeError('an iovec points past the end of memory');
    buffers.push(new Uint8Array(memory.buffer, base, length));
  }
  return buffers;
}

/**
 * The `wasi_snapshot_preview1` imports of one task: node:wasi's, with the task's stdin (its arguments) served
 * from memory, stdout and stderr streamed as the task's output instead of reaching any file, proc_exit as a
 * value, and what DENIED lists refused. node:wasi itself was made with no environment, argv of the function's
 * name, one preopened directory (the task's empty scratch directory) and /dev/null for fds 0 to 2.
 */
export function wasiImports(wasi: WASI, stdio: TaskStdio): Record<string, WasiFunction> {
  const base = (wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, WasiFunction> }).wasi_snapshot_preview1;
  const imports: Record<string, WasiFunction> = { ...base };
  for (const name of DENIED) imports[name] = () => ERRNO_NOTSUP;
  let stdinAt = 0;
  imports.proc_exit = (code: number) => {
    throw new WasiExit(code);
  };
  imports.fd_write = (fd, pointer, count, written) => {
    if (fd !== 1 && fd !== 2) return base.fd_write(fd, pointer, count, written);
    const memory = stdio.memory();
    if (!memory) return ERRNO_BADF;
    const stream = fd === 1 ? stdio.stdout : stdio.stderr;
    let total = 0;
    for (const buffer of iovecs(memory, pointer, count)) {
      stream.write(buffer);
      total += buffer.length;
    }
    new DataView(memory.buffer).setUint32(written, total, true);
    return ERRNO_SUCCESS;
  };
  imports.fd_read = (fd, pointer, count, read) => {
    if (fd !== 0) return base.fd_read(fd, pointer, count, read);
    const memory = stdio.memory();
    if (!memory) return ERRNO_BADF;
    let total = 0;
    for (const buffer of iovecs(memory, pointer, count)) {
      const n = Math.min(buffer.length, stdio.stdin.length - stdinAt);
      buffer.set(stdio.stdin.subarray(stdinAt, stdinAt + n));
      stdinAt += n;
      total += n;
      if (n < buffer.length) break;
    }
    new DataView(memory.buffer).setUint32(read, total, true);
    return ERRNO_SUCCESS;
  };
  return imports;
}
