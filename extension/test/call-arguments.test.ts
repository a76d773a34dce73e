import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallArgumentsError, formatCallArguments, parseCallArguments } from '../src/call-arguments';

describe('the arguments a registered function is called with from the notebook', () => {
  it('reads positional values, then name=value pairs, as in a Python call', () => {
    assert.deepEqual(parseCallArguments('14, "a, b", [1, 2], scale=2.5, tags={"x": [1]}'), {
      args: [14, 'a, b', [1, 2]],
      kwargs: { scale: 2.5, tags: { x: [1] } },
    });
  });

  it("takes Python's True, False, None and single-quoted strings", () => {
    assert.deepEqual(parseCallArguments("True, None, flag=False, name='ada'"), {
      args: [true, null],
      kwargs: { flag: false, name: 'ada' },
    });
  });

  it('nothing typed is a call without arguments', () => {
    assert.deepEqual(parseCallArguments('  '), { args: [], kwargs: {} });
  });

  it('says what to change for a value it cannot read, a positional after a keyword, or an open bracket', () => {
    assert.throws(() => parseCallArguments('numpy.zeros(3)'), (error: Error) => error instanceof CallArgumentsError && /cannot read numpy.zeros\(3\)/.test(error.message));
    assert.throws(() => parseCallArguments('x=1, 2'), /follows a keyword argument/);
    assert.throws(() => parseCallArguments('[1, 2'), /not closed/);
    assert.throws(() => parseCallArguments('1,,2'), /an argument is empty/);
  });

  it('reads back as it was typed', () => {
    assert.equal(formatCallArguments(parseCallArguments('14, scale=2.5')), '14, scale=2.5');
  });
});
