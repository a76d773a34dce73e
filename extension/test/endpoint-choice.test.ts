import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellEndpoint, preselectedEndpoint, repeatEndpoint } from '../src/endpoint-choice';
import { parseFuncxMagic } from '../src/magic';

describe('which endpoint a run goes to', () => {
  it('"Run cell on endpoint…" preselects the notebook default before the endpoint used last', () => {
    assert.equal(preselectedEndpoint('cloud', 'local'), 'cloud');
  });

  it('"Run cell on endpoint…" preselects the endpoint used last when the notebook has no default', () => {
    assert.equal(preselectedEndpoint(null, 'local'), 'local');
    assert.equal(preselectedEndpoint(null, null), null);
  });

  it('"Run cell on NAME" repeats the endpoint used last, or the default before any run', () => {
    assert.equal(repeatEndpoint('local', 'cloud'), 'local');
    assert.equal(repeatEndpoint(null, 'cloud'), 'cloud');
  });

  it('a %%funcx cell without a name runs on the notebook default', () => {
    const magic = parseFuncxMagic('%%funcx\nprint(1)');
    assert.equal(cellEndpoint(magic.endpoint, 'cloud'), 'cloud');
  });

  it('a %%funcx cell that names an endpoint runs there, whatever the default', () => {
    const magic = parseFuncxMagic('%%funcx local --timeout 5\nprint(1)');
    assert.equal(cellEndpoint(magic.endpoint, 'cloud'), 'local');
  });

  it('a %%funcx cell without a name in a notebook without a default has no endpoint (the run says so)', () => {
    assert.equal(cellEndpoint(parseFuncxMagic('%%funcx').endpoint, null), undefined);
  });
});
