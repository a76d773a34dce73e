import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cellCode, cellSubmission, endpointTarget, isFuncxCell, isRoutedTarget, MagicError, parseFuncxMagic, singleTopLevelFunction } from '../src/magic';

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
    assert.throws(() => parseFuncxMagic('%%funcx local --gpu\n'), /Unknown option --gpu.*%%funcx \[ENDPOINT \| group:NAME \| A,B\] \[--policy NAME\] \[--timeout SECONDS\]/);
    assert.throws(() => parseFuncxMagic('%%funcx local cloud\n'), /One endpoint, group or comma-separated list per cell/);
  });

  it('group:NAME names an endpoint group, yours or (group:OWNER/NAME) one shared with you, for the hub to route across', () => {
    const magic = parseFuncxMagic('%%funcx group:gpus\nprint(1)');
    assert.equal(magic.endpoint, 'group:gpus');
    assert.equal(magic.policy, undefined, "the group's own policy");
    assert.equal(isRoutedTarget(magic.endpoint!), true);
    assert.equal(endpointTarget(magic.endpoint!), 'group:gpus');
    assert.equal(parseFuncxMagic('%%funcx group:alice/gpus --timeout 5\nx').endpoint, 'group:alice/gpus');
    assert.equal(parseFuncxMagic('%%funcx group:0c5e8a2e-4b51-4a1b-9e0e-0f6d2c7a1b33\nx').endpoint, 'group:0c5e8a2e-4b51-4a1b-9e0e-0f6d2c7a1b33');
    assert.equal(isRoutedTarget('local'), false);
    assert.equal(isRoutedTarget('alice/local'), false);
  });

  it('--policy picks how the hub routes, and a policy that does not exist is refused with the valid ones', () => {
    assert.equal(parseFuncxMagic('%%funcx group:gpus --policy round-robin\nx').policy, 'round-robin');
    assert.equal(parseFuncxMagic('%%funcx --policy=least-loaded group:gpus\nx').policy, 'least-loaded');
    assert.throws(() => parseFuncxMagic('%%funcx group:gpus --policy fastest\n'), (error: Error) => {
      assert.ok(error instanceof MagicError);
      assert.match(error.message, /--policy needs one of random, round-robin, least-loaded, warming-aware/);
      assert.match(error.message, /"fastest"/);
      return true;
    });
    assert.throws(() => parseFuncxMagic('%%funcx group:gpus --policy\n'), /--policy needs one of/);
  });

  it('endpoints separated by commas are routed among; the submission gets them as a list', () => {
    const magic = parseFuncxMagic('%%funcx local,bob/cluster --policy least-loaded\nx');
    assert.equal(magic.endpoint, 'local,bob/cluster');
    assert.equal(isRoutedTarget(magic.endpoint!), true);
    assert.deepEqual(endpointTarget(magic.endpoint!), ['local', 'bob/cluster']);
  });

  it('a malformed group or list says what to write instead', () => {
    assert.throws(() => parseFuncxMagic('%%funcx group:\nx'), /"group:" is not an endpoint group: write group:NAME/);
    assert.throws(() => parseFuncxMagic('%%funcx group:a b\nx'), /One endpoint, group or comma-separated list per cell/);
    assert.throws(() => parseFuncxMagic('%%funcx group:/gpus\nx'), /"group:\/gpus" names no owner before the "\/"/);
    assert.throws(() => parseFuncxMagic('%%funcx group:a/b/c\nx'), /"group:a\/b\/c" is not an endpoint group/);
    assert.throws(() => parseFuncxMagic('%%funcx local,,cloud\nx'), /has an empty endpoint: separate endpoints with single commas/);
    assert.throws(() => parseFuncxMagic('%%funcx local,group:gpus\nx'), /"group:gpus" is an endpoint group: name a group alone \("%%funcx group:gpus"\)/);
  });

  it('only a first line that is %%funcx itself makes a funcX cell', () => {
    assert.equal(isFuncxCell('%%funcx local\nx'), true);
    assert.equal(isFuncxCell('\n  %%funcx\nx'), true);
    assert.equal(isFuncxCell('%%funcxy\nx'), false);
    assert.equal(isFuncxCell('x = 1\n%%funcx'), false);
  });

  it('a cell is sent as a kernel runs it: its first line blank, ending in a newline, with its options and session', () => {
    assert.deepEqual(cellSubmission(parseFuncxMagic('%%funcx local --timeout 5 --policy random\nx + 1')), { source: '\nx + 1\n', timeout_s: 5, policy: 'random' });
    assert.deepEqual(cellSubmission(parseFuncxMagic('%%funcx local -o kept\nx\n'), 'nb'), { source: '\nx\n', timeout_s: undefined, session: 'nb', return_pickle: true });
    assert.equal(cellSubmission(parseFuncxMagic('%%funcx local --session own\nx'), 'nb').session, 'own', "the line's session before the notebook's");
  });

  it('the code of a %%funcx cell leaves its first line blank, so line N of the code is line N in the editor', () => {
    assert.equal(cellCode('%%funcx local\nx = 1\ny = 2'), '\nx = 1\ny = 2');
    assert.equal(cellCode('\n\n%%funcx local\nraise ValueError'), '\n\n\nraise ValueError');
    assert.equal(parseFuncxMagic('%%funcx local\nx = 1').code, '\nx = 1');
    assert.equal(cellCode('x = 1'), 'x = 1');
  });

  it('--async runs a cell beside the others; without it a cell waits its turn', () => {
    assert.equal(parseFuncxMagic('%%funcx local --async\nx').async, true);
    assert.equal(parseFuncxMagic('%%funcx local\nx').async, undefined);
  });

  it('-o NAME (or --output NAME) names where the value is kept in the kernel; a name that is not Python is refused', () => {
    assert.equal(parseFuncxMagic('%%funcx local -o mean\nx').output, 'mean');
    assert.equal(parseFuncxMagic('%%funcx --output=total local\nx').output, 'total');
    assert.throws(() => parseFuncxMagic('%%funcx local -o 2x\n'), /-o needs a Python name/);
    assert.throws(() => parseFuncxMagic('%%funcx local -o\n'), /-o needs a Python name/);
  });
});

describe('%%funcx --session NAME', () => {
  it('names the session the cell runs in, written either way', () => {
    assert.equal(parseFuncxMagic('%%funcx local --session analysis\nx = 1').session, 'analysis');
    assert.equal(parseFuncxMagic('%%funcx --session=run-7.b local\nx').session, 'run-7.b');
    assert.equal(parseFuncxMagic('%%funcx local --session analysis\nx').endpoint, 'local');
    assert.equal(parseFuncxMagic('%%funcx local\nx').session, undefined);
  });

  it('a name that cannot be a session is refused with the rule, as the kernel refuses it', () => {
    for (const line of ['%%funcx local --session', '%%funcx local --session -x', '%%funcx local --session=a/b', `%%funcx local --session ${'s'.repeat(65)}`]) {
      assert.throws(() => parseFuncxMagic(`${line}\n1`), (error: Error) => {
        assert.ok(error instanceof MagicError, line);
        assert.match(error.message, /^--session needs a session name, e\.g\. "%%funcx local --session analysis" \(got ".*"\): use 1 to 64 letters, digits, "\.", "_" or "-", starting with a letter or digit$/);
        return true;
      });
    }
  });

  it('the first line as errors quote it names --session', () => {
    assert.throws(() => parseFuncxMagic('%%funcx local --gpu\n'), /\[--session NAME\]/);
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
