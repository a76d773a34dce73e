import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ICellModel } from '@jupyterlab/cells';
import { isStale, sourceHash } from '../src/cell-function';
import { cellCode } from '../src/magic';

const cellWith = (source: string) => ({ sharedModel: { getSource: () => source } }) as unknown as ICellModel;

describe('a cell registered as a function', () => {
  it('is stale once its code differs from what was registered', () => {
    const registered = 'def f(x):\n    return x\n';
    const fn = { function_id: 'id', function_name: 'f', source_hash: sourceHash(cellCode(registered)) };
    assert.equal(isStale(cellWith(registered), fn), false);
    assert.equal(isStale(cellWith('def f(x):\n    return 2 * x\n'), fn), true);
  });

  it('registered before hashes were kept, it is never called stale', () => {
    assert.equal(isStale(cellWith('anything'), { function_id: 'id', function_name: 'f' }), false);
  });
});
