// A node:test reporter that writes only the failed tests, each with its file, line and error, so test.sh can print
// them again after everything else has run (a long run's failures are otherwise far above its last lines).
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 25;

function describeError(error) {
  const cause = error?.cause ?? error;
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  const lines = text.split('\n');
  const stack = typeof cause?.stack === 'string' ? cause.stack.split('\n').filter((line) => /\/dist\/test\//.test(line)).slice(0, 3) : [];
  const kept = lines.slice(0, MAX_LINES);
  if (lines.length > MAX_LINES) kept.push(`… ${lines.length - MAX_LINES} more lines`);
  return [...kept, ...stack.map((line) => line.trim())];
}

function where(file, line) {
  if (!file) return '';
  const path = file.startsWith('file:') ? fileURLToPath(file) : file;
  return ` (${relative(process.cwd(), path)}${line ? `:${line}` : ''})`;
}

export default async function* failures(source) {
  let count = 0;
  for await (const event of source) {
    if (event.type !== 'test:fail') continue;
    const { name, file, line, details } = event.data;
    // A suite fails when one of its tests does: that test is listed already.
    if (details?.type === 'suite' && details.error?.failureType === 'subtestsFailed') continue;
    count++;
    yield `✖ ${name}${where(file, line)}\n`;
    for (const text of describeError(details?.error)) yield `    ${text}\n`;
  }
  if (count > 0) yield `${count} failed\n`;
}
