/** A parsed `%%funcx [ENDPOINT] [--timeout S]` first line. */
export interface FuncxMagic {
  /** Endpoint name or id; undefined means the notebook's default endpoint. */
  endpoint?: string;
  timeoutS?: number;
  /** The cell without its first line. */
  body: string;
}

export class MagicError extends Error {}

const MAGIC = /^%%funcx(?=\s|$)/;

export function isFuncxCell(source: string): boolean {
  return MAGIC.test(source.trimStart());
}

/** Parses a `%%funcx` cell; throws MagicError with what to change for a bad first line. */
export function parseFuncxMagic(source: string): FuncxMagic {
  const trimmed = source.trimStart();
  const newline = trimmed.indexOf('\n');
  const firstLine = newline === -1 ? trimmed : trimmed.slice(0, newline);
  const body = newline === -1 ? '' : trimmed.slice(newline + 1);
  const words = firstLine.trim().split(/\s+/).slice(1);
  const magic: FuncxMagic = { body };
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--timeout' || word.startsWith('--timeout=')) {
      const value = word.includes('=') ? word.slice('--timeout='.length) : words[++i];
      const seconds = Number(value);
      if (!value || !Number.isFinite(seconds) || seconds <= 0) {
        throw new MagicError(`--timeout needs a number of seconds above 0, e.g. "%%funcx local --timeout 60" (got "${value ?? ''}")`);
      }
      magic.timeoutS = seconds;
    } else if (word.startsWith('-')) {
      throw new MagicError(`Unknown option ${word}: the first line reads "%%funcx [ENDPOINT] [--timeout SECONDS]"`);
    } else if (magic.endpoint === undefined) {
      magic.endpoint = word;
    } else {
      throw new MagicError(`One endpoint per cell: the first line reads "%%funcx [ENDPOINT] [--timeout SECONDS]" (got "${word}" after "${magic.endpoint}")`);
    }
  }
  return magic;
}

/** The name of the only top-level function the source defines, if it defines exactly one. */
export function singleTopLevelFunction(source: string): string | undefined {
  const names = [...source.matchAll(/^(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/gm)].map(m => m[1]);
  return names.length === 1 ? names[0] : undefined;
}

/** A cell's code without a leading `%%funcx` line. */
export function cellCode(source: string): string {
  if (!isFuncxCell(source)) return source;
  const trimmed = source.trimStart();
  const newline = trimmed.indexOf('\n');
  return newline === -1 ? '' : trimmed.slice(newline + 1);
}
