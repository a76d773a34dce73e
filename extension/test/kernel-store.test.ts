import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { storeStatement } from '../src/kernel-store';

/** Runs the statement in a real Python, then prints what `name` holds. */
function runInPython(statement: string, check: string): string {
  return execFileSync('python3', ['-c', `${statement}\n${check}`], { encoding: 'utf8' }).trim();
}

describe('-o NAME: the statement that stores a task value in the kernel', () => {
  it('unpickles the value when the result carries a pickle, and leaves no helper name behind', () => {
    // pickle.dumps({1, 2}) with protocol 4, base64: a set, which JSON cannot carry.
    const pickle = execFileSync('python3', ['-c', 'import base64, pickle; print(base64.b64encode(pickle.dumps({1, 2})).decode())'], { encoding: 'utf8' }).trim();
    const out = runInPython(storeStatement('mean', { data: { 'text/plain': '{1, 2}' }, pickle }), "print(sorted(mean), '__funcx_value' in dir())");
    assert.equal(out, '[1, 2] False');
  });

  it('decodes JSON when there is no pickle, or when the pickle does not load here', () => {
    const value = { xs: [1.5, 'a"b\n'], ok: true, none: null };
    assert.equal(runInPython(storeStatement('stats', { data: {}, value }), 'print(stats["xs"][1] == \'a"b\\n\', stats["ok"], stats["none"])'), 'True True None');
    assert.equal(runInPython(storeStatement('stats', { data: {}, value: 3, pickle: 'bm90IGEgcGlja2xl' }), 'print(stats)'), '3');
  });

  it('a value that is neither JSON nor a loadable pickle is an error in the kernel', () => {
    assert.throws(() => runInPython(storeStatement('x', { data: { 'text/plain': '<object>' } }), 'print(x)'), /neither JSON nor a pickle/);
  });
});
