import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonDepth, jsonTextDepth } from '../src/index.js';

/** The measure as a character-by-character scan: what the faster one must agree with on any text. */
function scanDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92) i++;
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (code === 93 || code === 125) depth--;
  }
  return deepest;
}

/** A small deterministic generator, so a failure can be replayed. */
function randomValue(seed: { n: number }, depth: number): unknown {
  const next = () => (seed.n = (seed.n * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = ['"', '\\', '[', ']', '{', '}', 'a', ' ', '\n', 'é'];
  const text = () => Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
  const kind = depth > 6 ? 0 : Math.floor(next() * 4);
  if (kind === 0) return next() < 0.5 ? text() : Math.round(next() * 100);
  if (kind === 1) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(seed, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, () => [text(), randomValue(seed, depth + 1)]));
}

describe('how deep JSON text nests, measured before it is parsed', () => {
  it('brackets, quotes and backslashes inside strings do not count', () => {
    assert.equal(jsonTextDepth('{"a":"[[[{"}', 64), 1);
    assert.equal(jsonTextDepth('["\\"[[", ["\\\\"], [[]]]', 64), 3);
    assert.equal(jsonTextDepth('"\\\\\\"[" ', 64), 0);
    assert.equal(jsonTextDepth('{"t":"done","completions":[{"task_id":"x","result":{"data":{}}}]}', 64), 5);
  });

  it('a string left open ends the count where it opens, as the scan did', () => {
    for (const text of ['[["abc', '[["a\\"', '[[ "\\\\" "', '{"a": [1, "\\']) assert.equal(jsonTextDepth(text, 64), scanDepth(text, 64), text);
  });

  it('gives up past the limit', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    assert.equal(jsonTextDepth(deep, 64), 65);
  });

  it('agrees with the character scan and with the parsed value on a thousand generated values', () => {
    const seed = { n: 7 };
    for (let i = 0; i < 1_000; i++) {
      const text = JSON.stringify(randomValue(seed, 0));
      assert.equal(jsonTextDepth(text, 64), scanDepth(text, 64), text);
      assert.equal(jsonTextDepth(text, 64), jsonDepth(JSON.parse(text), 64), text);
      const cut = text.slice(0, Math.floor(text.length / 2));
      assert.equal(jsonTextDepth(cut, 64), scanDepth(cut, 64), cut);
    }
  });
});
