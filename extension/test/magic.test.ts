import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellCode, isFuncxCell, MagicError, parseFuncxMagic, singleTopLevelFunction } from '../src/magic';

describe('the %%funcx first line', () => {
  it('a %%funcx line with --timeout 5 gives endpoint and timeout', () => {
    const magic = parseFuncxMagic('%%funcx local --timeout 5\nprint(1)\n');
    assert.equal(magic.endpoint, 'local');
    assert.equal(magic.timeoutS, 5);
    assert.equal(magic.body, 'print(1)\n');
  });
});
