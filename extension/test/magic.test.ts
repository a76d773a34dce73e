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

  it('--timeout=2.5 is read as well as --timeout 2.5', () => {
    assert.equal(parseFuncxMagic('%%funcx --timeout=2.5 cloud\nx').timeoutS, 2.5);
    assert.equal(parseFuncxMagic('%%funcx --timeout=2.5 cloud\nx').endpoint, 'cloud');
  });

  it('a %%funcx line without a name leaves the endpoint to the notebook default', () => {
    const magic = parseFuncxMagic('%%funcx\nprint(1)');
    assert.equal(magic.endpoint, undefined);
    assert.equal(magic.body, 'print(1)');
  });

  it('a bad timeout says what to write instead', () => {
    assert.throws(() => parseFuncxMagic('%%funcx local --timeout soon\n'), (error: Error) => {
      assert.ok(error instanceof MagicError);
      assert.match(error.message, /--timeout needs a number of seconds above 0/);
      assert.match(error.message, /"soon"/);
      return true;
    });
    assert.throws(() => parseFuncxMagic('%%funcx local --timeout\n'), MagicError);
    assert.throws(() => parseFuncxMagic('%%funcx local --timeout 0\n'), MagicError);
  });

  it('an unknown option or a second endpoint is refused with the expected form', () => {
    assert.throws(() => parseFuncxMagic('%%funcx local --gpu\n'), /Unknown option --gpu.*%%funcx \[ENDPOINT\] \[--timeout SECONDS\]/);
    assert.throws(() => parseFuncxMagic('%%funcx local cloud\n'), /One endpoint per cell/);
  });

  it('only a first line that is %%funcx itself makes a funcX cell', () => {
    assert.equal(isFuncxCell('%%funcx local\nx'), true);
    assert.equal(isFuncxCell('\n  %%funcx\nx'), true);
    assert.equal(isFuncxCell('%%funcxy\nx'), false);
    assert.equal(isFuncxCell('x = 1\n%%funcx'), false);
  });

  it('the code of a %%funcx cell is the cell without its first line; other cells are kept whole', () => {
    assert.equal(cellCode('%%funcx local\nx = 1\ny = 2'), 'x = 1\ny = 2');
    assert.equal(cellCode('x = 1'), 'x = 1');
  });
});

describe('the entrypoint of "Register cell as function"', () => {
  it('a cell with one top-level def registers that function', () => {
    assert.equal(singleTopLevelFunction('import math\n\ndef area(r):\n    return math.pi * r * r\n'), 'area');
  });

  it('an async or decorated def counts as the one function', () => {
    assert.equal(singleTopLevelFunction('async def fetch(url):\n    pass\n'), 'fetch');
    assert.equal(singleTopLevelFunction('@cache\ndef f(x):\n    return x\n'), 'f');
  });

  it('nested defs and methods do not count', () => {
    assert.equal(singleTopLevelFunction('def outer():\n    def inner():\n        pass\n    return inner\n'), 'outer');
    assert.equal(singleTopLevelFunction('class A:\n    def m(self):\n        pass\n'), undefined);
  });

  it('a cell with two top-level defs, or none, registers the whole cell', () => {
    assert.equal(singleTopLevelFunction('def a():\n    pass\n\ndef b():\n    pass\n'), undefined);
    assert.equal(singleTopLevelFunction('print("hello")\n'), undefined);
  });
});
