import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonValue, StreamItems } from '@funcx/protocol';
import { StreamFollower } from '@funcx/client/stream-follower';
import type * as nbformat from '@jupyterlab/nbformat';
import { pythonRepr } from '../src/python-repr';
import { STREAM_ITEMS_KEPT, StreamItemsView, streamItemText } from '../src/stream-items-view';

function textOf(output: nbformat.IOutput): string {
  return String((output.data as Record<string, unknown>)['text/plain']);
}

describe('a streamed item reads as a kernel prints it', () => {
  it("as Python's repr of the value json.loads gives", () => {
    assert.equal(pythonRepr({ step: 1, label: "it's", ok: true, none: null, list: [1.5, -2, 'a"b'] }), `{'step': 1, 'label': "it's", 'ok': True, 'none': None, 'list': [1.5, -2, 'a"b']}`);
    assert.equal(pythonRepr('both \' and "'), `'both \\' and "'`);
    assert.equal(pythonRepr('tab\tnew\nline\\ \u0001 \u00e9 \u200b \u{1F600}'), "'tab\\tnew\\nline\\\\ \\x01 é \\u200b \u{1F600}'");
    // A whole number below 1e21 crosses the hub as digits, so Python reads it as an int.
    assert.deepEqual([1e-7, 1e16, 1.5e300, 0.0001, 123.25, 1e21].map(pythonRepr), ['1e-07', '10000000000000000', '1.5e+300', '0.0001', '123.25', '1e+21']);
  });

  it('a data reference says its size and how to fetch it', () => {
    const ref = { $ref: `funcx-data://endpoint.${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}/${'a'.repeat(64)}`, size: 3200, digest: `sha256:${'a'.repeat(64)}`, kind: 'bytes', endpoint_id: 'e' };
    assert.equal(streamItemText(ref), `<funcx data reference: 3.1 KiB, ${ref.$ref}; fetch it with funcx.store.get(ref)>`);
  });
});

describe("a stream's items in a cell", () => {
  const sink = () => {
    const outputs: nbformat.IOutput[] = [];
    return {
      outputs,
      add: (output: nbformat.IOutput) => void outputs.push(output),
      get length() {
        return outputs.length;
      },
      set: (index: number, output: nbformat.IOutput) => void (outputs[index] = output),
    };
  };

  it('the first item shows at once; 100,000 more make one output of the last items, with a line counting the rest', async () => {
    const cell = sink();
    const view = new StreamItemsView(cell);
    view.add([0]);
    assert.equal(cell.outputs.length, 1);
    assert.equal(textOf(cell.outputs[0]), '0');
    let writes = 0;
    const set = cell.set;
    cell.set = (index, output) => {
      writes++;
      set(index, output);
    };
    for (let i = 1; i <= 100_000; i += 100) view.add(Array.from({ length: 100 }, (_, j) => i + j));
    view.flush();
    assert.equal(cell.outputs.length, 1, 'one output, replaced in place');
    assert.ok(writes <= 2, `updates are coalesced (${writes} writes)`);
    const lines = textOf(cell.outputs[0]).split('\n');
    assert.equal(lines.length, STREAM_ITEMS_KEPT + 1);
    assert.equal(lines[0], '… 99,001 earlier items not shown (the cell keeps the last 1,000)');
    assert.equal(lines[1], '99001');
    assert.equal(lines[STREAM_ITEMS_KEPT], '100000');
    assert.deepEqual(cell.outputs[0].metadata, { funcx: { stream: true } });
  });

  it('after reset (a new attempt, outputs cleared) the next items start a new output', () => {
    const cell = sink();
    const view = new StreamItemsView(cell);
    view.add(['first attempt']);
    cell.outputs.length = 0;
    view.reset();
    view.add(['second attempt']);
    assert.deepEqual(cell.outputs.map(textOf), ["'second attempt'"]);
  });
});

describe('following a stream', () => {
  const page = (from: number, items: JsonValue[], done = false): StreamItems => ({ task_id: 't', from, items, next: from + items.length, done });

  it('reads from next, skips items the endpoint still held from before a lost read, and stops at the end', async () => {
    const answers: (StreamItems | Error)[] = [page(0, [1, 2]), Object.assign(new Error('down'), { code: 'FUNCX_HUB_UNREACHABLE' }), page(1, [2, 3]), page(3, [], true)];
    const asked: number[] = [];
    const seen: JsonValue[] = [];
    const problems: string[] = [];
    const follower = new StreamFollower(
      async (from) => {
        asked.push(from);
        const answer = answers.shift()!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      { onItems: (items) => seen.push(...items), onProblem: (error, fatal) => problems.push(`${(error as { code: string }).code} ${fatal}`) },
      () => true,
      async () => {},
    );
    follower.start();
    await follower.finish();
    assert.deepEqual(asked, [0, 2, 2, 3]);
    assert.deepEqual(seen, [1, 2, 3], 'no item twice');
    assert.deepEqual(problems, ['FUNCX_HUB_UNREACHABLE false']);
  });

  it('a refusal stops it, keeping what was read', async () => {
    const answers: (StreamItems | Error)[] = [page(0, ['a']), Object.assign(new Error('not yours'), { code: 'FUNCX_FORBIDDEN' })];
    const seen: JsonValue[] = [];
    const problems: boolean[] = [];
    const follower = new StreamFollower(
      async () => {
        const answer = answers.shift()!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      { onItems: (items) => seen.push(...items), onProblem: (_error, fatal) => problems.push(fatal) },
      () => true,
      async () => {},
    );
    follower.start();
    await follower.finish();
    assert.deepEqual([seen, problems], [['a'], [true]]);
  });
});
