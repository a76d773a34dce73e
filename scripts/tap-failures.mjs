// Prints the failed tests of a node:test TAP file, each with its location and error, for test.sh to show again
// after everything else has run (a long run's failures are otherwise far above its last lines).
// Usage: node scripts/tap-failures.mjs FILE.tap
import { readFileSync } from 'node:fs';

const MAX_ERROR_LINES = 25;
const lines = readFileSync(process.argv[2], 'utf8').split('\n');
let failed = 0;

for (let i = 0; i < lines.length; i++) {
  const match = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
  if (!match) continue;
  const indent = match[1].length + 2;
  // The YAML block after it: from "---" to "...", at the test's indentation plus two.
  const block = [];
  if (lines[i + 1]?.trim() === '---') {
    for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++) block.push(lines[j].slice(indent));
  }
  const field = (name) => block.find((line) => line.startsWith(`${name}:`))?.slice(name.length + 1).trim();
  // A suite fails when one of its tests does, which is listed already.
  if (field('type') === "'suite'" && field('failureType') === "'subtestsFailed'") continue;
  failed++;
  console.log(`✖ ${match[2]}${field('location') ? ` (${field('location').replace(/^'|'$/g, '')})` : ''}`);
  const at = block.findIndex((line) => line.startsWith('error:'));
  if (at < 0) continue;
  const error = [block[at].slice('error:'.length).trim()];
  if (error[0] === '|-' || error[0] === '|') {
    error.shift();
    for (let j = at + 1; j < block.length && /^\s/.test(block[j] || ' '); j++) error.push(block[j].trim());
  }
  for (const line of error.slice(0, MAX_ERROR_LINES)) console.log(`    ${line}`);
  if (error.length > MAX_ERROR_LINES) console.log(`    … ${error.length - MAX_ERROR_LINES} more lines`);
}
if (failed > 0) console.log(`${failed} failed`);
