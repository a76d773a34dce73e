import { TextDecoder } from 'node:util';
import type { StreamName } from '@funcx/protocol';

/** How long a partial line waits before it is sent anyway (as the Python worker does). */
const PARTIAL_LINE_MS = 50;

/**
 * What a task writes to one of its streams, sent on each newline, when a partial line has waited
 * PARTIAL_LINE_MS by the next write, and at the end; bytes are decoded as UTF-8 across writes.
 */
export class OutputStream {
  /** Made on the first write: most tasks print nothing, and a decoder costs microseconds. */
  private decoder?: TextDecoder;
  private pending = '';
  private pendingSince = 0;
  /** Every line written, for a command's value (its last line) and a failure's reason (stderr's last line). */
  lastLine = '';

  constructor(
    readonly name: StreamName,
    private readonly send: (name: StreamName, text: string) => void,
  ) {}

  write(bytes: Uint8Array): void {
    this.decoder ??= new TextDecoder('utf-8');
    const text = this.decoder.decode(bytes, { stream: true });
    if (text === '') return;
    if (this.pending === '') this.pendingSince = performance.now();
    this.pending += text;
    const newline = this.pending.lastIndexOf('\n');
    if (newline >= 0) {
      this.emit(this.pending.slice(0, newline + 1));
      this.pending = this.pending.slice(newline + 1);
      this.pendingSince = performance.now();
    } else if (performance.now() - this.pendingSince >= PARTIAL_LINE_MS) {
      this.flush();
    }
  }

  flush(): void {
    if (this.decoder) this.pending += this.decoder.decode();
    if (this.pending !== '') this.emit(this.pending);
    this.pending = '';
  }

  private emit(text: string): void {
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    if (lines.length > 0) this.lastLine = lines[lines.length - 1];
    this.send(this.name, text);
  }
}
