/**
 * Text from the hub as a terminal may show it: control and formatting characters (escape sequences, NUL,
 * right-to-left overrides, zero-width characters) written as visible \u{…} escapes, so that nothing stored
 * at the hub can move the cursor, recolour the screen or make one name look like another.
 */
export function printable(text: string): string {
  return text.replace(/\p{C}/gu, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}

/**
 * Left-aligned columns separated by two spaces, with a header row, every cell made printable: how every funcX
 * command line prints a list.
 */
export function table(header: string[], rawRows: string[][]): string {
  const rows = rawRows.map((row) => row.map(printable));
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
