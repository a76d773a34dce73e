import { closeSync, existsSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';

const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const WRITE_CHUNK_CHARS = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Calls `onEntry` with each parsed line of a JSON-lines file, reading it a chunk at a time: a file of any size
 * replays in bounded memory (a line is as large as its largest record). A line that does not parse (a crash
 * mid-write tears the last one) is reported by number and skipped.
 */
export function forEachJsonLine<T>(file: string, onEntry: (entry: T) => void, onBadLine: (lineNumber: number) => void): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let carried: Buffer[] = [];
    let lineNumber = 0;
    const emit = (line: Buffer) => {
      lineNumber++;
      const text = line.toString('utf8');
      if (text.trim() === '') return;
      let entry: T;
      try {
        entry = JSON.parse(text) as T;
      } catch {
        onBadLine(lineNumber);
        return;
      }
      onEntry(entry);
    };
    for (;;) {
      const read = readSync(fd, chunk, 0, READ_CHUNK_BYTES, null);
      if (read === 0) break;
      let start = 0;
      let newline = chunk.indexOf(NEWLINE, 0);
      while (newline !== -1 && newline < read) {
        const piece = chunk.subarray(start, newline);
        if (carried.length > 0) {
          emit(Buffer.concat([...carried, piece]));
          carried = [];
        } else {
          emit(piece);
        }
        start = newline + 1;
        newline = chunk.indexOf(NEWLINE, start);
      }
      if (start < read) carried.push(Buffer.from(chunk.subarray(start, read)));
    }
    if (carried.length > 0) emit(Buffer.concat(carried));
  } finally {
    closeSync(fd);
  }
}

const BACKWARD_CHUNK_BYTES = 256 * 1024;

/**
 * Calls `onEntry` with each parsed line of a JSON-lines file from the last line to the first, until it returns
 * false: the newest entries of a large append-only file are read without reading the rest. A line that does not
 * parse (one being appended right now, or torn by a crash) is skipped.
 */
export function forEachJsonLineBackwards<T>(file: string, onEntry: (entry: T) => boolean): void {
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    let position = fstatSync(fd).size;
    let carried = Buffer.alloc(0);
    const emit = (line: Buffer): boolean => {
      if (line.length === 0) return true;
      let entry: T;
      try {
        entry = JSON.parse(line.toString('utf8')) as T;
      } catch {
        return true;
      }
      return onEntry(entry);
    };
    while (position > 0) {
      const length = Math.min(BACKWARD_CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.allocUnsafe(length);
      readSync(fd, chunk, 0, length, position);
      const text = carried.length > 0 ? Buffer.concat([chunk, carried]) : chunk;
      let end = text.length;
      let newline = text.lastIndexOf(NEWLINE, end - 1);
      while (newline !== -1) {
        if (!emit(text.subarray(newline + 1, end))) return;
        end = newline;
        newline = end > 0 ? text.lastIndexOf(NEWLINE, end - 1) : -1;
      }
      carried = Buffer.from(text.subarray(0, end));
    }
    emit(carried);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `first` (text, such as a header line) and then each entry as a JSON line to `FILE.tmp`, a chunk at a
 * time, and renames it over `file`: a crash midway leaves the old file whole. Returns the bytes written.
 */
export function writeJsonLinesAtomically(file: string, entries: Iterable<unknown>, first = ''): number {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    let chunk = first;
    for (const entry of entries) {
      chunk += JSON.stringify(entry) + '\n';
      if (chunk.length > WRITE_CHUNK_CHARS) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return bytes;
}
