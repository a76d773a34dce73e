import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '@funcx/node-common';
import { buildSubmission } from '../src/commands/task-options.js';
import { displayNote, errorText, resultText, stateTimeline, table } from '../src/format.js';

test('a display output with an image is one line with its type and size', () => {
  const png = Buffer.alloc(12 * 1024).toString('base64');
  assert.equal(displayNote({ output_type: 'display_data', data: { 'image/png': png, 'text/plain': '<Figure>' }, metadata: {} }), '[image/png 12 KiB]');
  assert.equal(displayNote({ output_type: 'display_data', data: { 'text/plain': 'just text' }, metadata: {} }), 'just text');
});

test('a result prints as its text/plain, and None prints nothing', () => {
  assert.equal(resultText({ value: 'x', data: { 'text/plain': "'x'" } }), "'x'");
  assert.equal(resultText({ value: null, data: { 'text/plain': 'None' } }), '');
  assert.equal(resultText({ value: [1], data: {} }), '[1]');
});

test('an error prints its traceback, ending with ename: evalue', () => {
  assert.equal(
    errorText({ ename: 'ValueError', evalue: 'bad', traceback: ['Traceback (most recent call last):', '  File "<cell>", line 1', 'ValueError: bad'] }),
    'Traceback (most recent call last):\n  File "<cell>", line 1\nValueError: bad',
  );
  assert.equal(errorText({ ename: 'TaskTimeout', evalue: 'timed out after 1 s', traceback: [] }), 'TaskTimeout: timed out after 1 s');
});

test('a table pads its columns', () => {
  assert.equal(table(['A', 'BB'], [['xxx', 'y']]), 'A    BB\nxxx  y');
});

test('the timeline lists states in order with the time spent in each', () => {
  const rows = stateTimeline({ received: 1_000, running: 1_002.5, success: 1_010 });
  assert.deepEqual(rows.map((r) => r[0]), ['received', 'running', 'success']);
  assert.equal(rows[0][2], '2.5 ms');
  assert.equal(rows[1][2], '7.5 ms');
  assert.equal(rows[2][2], '');
});

test('task flags are checked, each error naming the flag to fix', () => {
  const refused = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof CliError && error.exitCode === 2 && pattern.test(error.message));
  refused(() => buildSubmission(undefined, { endpoint: ['e'] }), /--function ID or a FILE\.py/);
  refused(() => buildSubmission(undefined, { endpoint: ['e'], function: 'f', args: 'nope' }), /^--args is not valid JSON/);
  refused(() => buildSubmission(undefined, { endpoint: ['e'], function: 'f', kwargs: '[1]' }), /--kwargs must be a JSON object/);
  refused(() => buildSubmission(undefined, { endpoint: ['e'], function: 'f', timeout: '-1' }), /--timeout must be a positive number/);
  refused(() => buildSubmission('missing.py', { endpoint: ['e'] }), /cannot read missing\.py: no such file/);
  assert.deepEqual(buildSubmission(undefined, { endpoint: ['e'], function: 'f', args: '[1]', kwargs: '{"k": 2}', timeout: '5' }), {
    endpoint: 'e',
    function_id: 'f',
    args: [1],
    kwargs: { k: 2 },
    timeout_s: 5,
  });
  refused(() => buildSubmission(undefined, { endpoint: ['e'], function: 'f', policy: 'fastest' }), /^--policy must be one of random, round-robin, least-loaded, warming-aware \(got "fastest"\)$/);
  assert.deepEqual(buildSubmission(undefined, { endpoint: ['a', 'bob/b'], function: 'f', policy: 'least-loaded' }), {
    endpoint: ['a', 'bob/b'],
    policy: 'least-loaded',
    function_id: 'f',
  }, 'several --endpoint flags: the hub routes among them');
});

test('a table shows escape sequences, NUL and direction overrides as visible escapes', () => {
  const shown = table(['NAME'], [['ok\u001b[2J'], ['a\u0000b'], ['invoice\u202egnp.exe']]);
  assert.equal(shown, 'NAME\nok\\u{1b}[2J\na\\u{0}b\ninvoice\\u{202e}gnp.exe');
  assert.doesNotMatch(shown, /[\u0000-\u0008\u000b-\u001f\u202e]/);
});
