import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellEndpoint, chooseEndpoint, preselectedEndpoint } from '../src/endpoint-choice';
import { parseFuncxMagic } from '../src/magic';

describe('which endpoint a run goes to: one rule for every entry point', () => {
  it('the endpoint the %%funcx line names comes first, whatever the default or the last run', () => {
    assert.equal(chooseEndpoint('local', 'cloud', 'hpc'), 'local');
    assert.equal(cellEndpoint(parseFuncxMagic('%%funcx local --timeout 5\nprint(1)').endpoint, 'cloud', 'hpc'), 'local');
  });

  it("then the notebook's default endpoint, before the endpoint used last", () => {
    assert.equal(chooseEndpoint(undefined, 'cloud', 'local'), 'cloud');
    assert.equal(cellEndpoint(parseFuncxMagic('%%funcx\nprint(1)').endpoint, 'cloud', 'local'), 'cloud');
    assert.equal(preselectedEndpoint('cloud', 'local'), 'cloud');
  });

  it('then the endpoint the last run went to', () => {
    assert.equal(chooseEndpoint(undefined, null, 'local'), 'local');
    assert.equal(cellEndpoint(parseFuncxMagic('%%funcx').endpoint, null, 'local'), 'local');
    assert.equal(preselectedEndpoint(null, 'local'), 'local');
  });

  it('else none: the picker asks, and a bare %%funcx cell says how to choose one', () => {
    assert.equal(chooseEndpoint(undefined, null, null), undefined);
    assert.equal(cellEndpoint(parseFuncxMagic('%%funcx').endpoint, null), undefined);
    assert.equal(preselectedEndpoint(null, null), null);
  });
});
