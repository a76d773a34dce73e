import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';

/**
 * Splits what arrives on a socket into newline-delimited frames (manager-wire.ts). A frame longer than `maxBytes`
 * is refused before it is buffered whole: `onTooLong` is called once and nothing more is read.
 */
export function readFrames(socket: Socket, maxBytes: number, onFrame: (line: string) => void, onTooLong: () => void): void {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let refused = false;
  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    let text = decoder.write(chunk);
    let start = 0;
    let newline = text.indexOf('\n');
    if (partial !== '' && newline !== -1) {
      const line = partial + text.slice(0, newline);
      partial = '';
      start = newline + 1;
      newline = text.indexOf('\n', start);
      if (line.length > maxBytes) return refuse();
      if (line !== '') onFrame(line);
      if (refused) return;
    }
    while (newline !== -1) {
      if (newline - start > maxBytes) return refuse();
      if (newline > start) onFrame(text.slice(start, newline));
      if (refused) return;
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    text = start === 0 ? text : text.slice(start);
    partial += text;
    if (partial.length > maxBytes) refuse();
  });
  const refuse = () => {
    refused = true;
    partial = '';
    onTooLong();
  };
}
