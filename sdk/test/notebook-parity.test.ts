import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import { makeTempDir, runProcess } from '@funcx/testing';
import { runCellsLikeJupyterLab, type CellOutput } from './support/frontend.js';
import { sdkInterpreter } from './support/python-tests.js';
import { startSdkWorld, stopSdkWorld, type SdkWorld } from './support/world.js';

/**
 * %%funcx cells whose outputs both paths must agree on: streams, a figure, HTML, values, errors, a timeout, an
 * unknown endpoint, a cell routed to an endpoint group, cells of a session, a value kept with -o, first lines
 * both refuse, and generators whose items stream (one of them failing half way).
 */
const CELLS = [
  '%%funcx local\nimport sys\nprint("hello")\nprint("to stderr", file=sys.stderr)\nprint("back on stdout")\n6 * 7',
  '%%funcx local\nimport matplotlib.pyplot as plt\nplt.figure(figsize=(2, 2))\nplt.plot([1, 4, 9])\nplt.show()',
  '%%funcx local\nclass Bold:\n    def _repr_html_(self):\n        return "<b>bold</b>"\n    def __repr__(self):\n        return "Bold()"\n\ndisplay(Bold())\nBold()',
  '%%funcx local\ndef mean(xs):\n    return sum(xs) / len(xs)\n\nmean([])',
  '%%funcx local\nx = 1',
  '%%funcx local\n{"python": 3, "items": [1, 2.5, None]}',
  '%%funcx local --timeout 1\nimport time\ntime.sleep(30)',
  '%%funcx nowhere\n1',
  '%%funcx group:solo --policy least-loaded\nprint("routed")\n"by the hub"',
  '%%funcx local --colour red\n1',
  '%%funcx a,,b\n1',
  '%%funcx local --policy fastest\n1',
  '%%funcx local --session parity\nshared = 41',
  '%%funcx local --session=parity\nshared + 1',
  '%%funcx local\nshared + 1',
  '%%funcx local --session "two words"\n1',
  '%%funcx local -o kept --async\n[1, 2]',
  '%%funcx local -o 1bad\n1',
  '%%funcx local\n(x * x for x in range(5))',
  '%%funcx local\ndef steps():\n    yield {"step": 1, "label": "it\'s"}\n    yield [1.5, None, True, "ünï"]\n    yield b"not json" * 400\n    raise ValueError("half way")\n\nsteps()',
];

/** The outputs as compared: no execution counts (each path counts its own), text as one string. */
function normalized(outputs: CellOutput[]): CellOutput[] {
  const merged: CellOutput[] = [];
  for (const raw of outputs) {
    const output: CellOutput = { ...raw };
    delete output.execution_count;
    if (Array.isArray(output.text)) output.text = output.text.join('');
    if (output.data) {
      output.data = Object.fromEntries(Object.entries(output.data as Record<string, unknown>).map(([mime, value]) => [mime, Array.isArray(value) ? value.join('') : value]));
    }
    const last = merged[merged.length - 1];
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) last.text = `${String(last.text)}${String(output.text)}`;
    else merged.push(output);
  }
  return merged;
}

describe('a notebook of %%funcx cells gives the same outputs in JupyterLab and through the kernel', { timeout: 300_000 }, () => {
  let world: SdkWorld;
  before(async () => {
    world = await startSdkWorld();
    // An endpoint group of one: a cell for it is routed by the hub in both paths.
    const response = await fetch(`${world.hub.url}/v1/endpoint-groups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${world.hub.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'solo', endpoints: ['local'] }),
    });
    assert.equal(response.status, 201, await response.text());
  });
  after(() => stopSdkWorld());

  test('jupyter nbconvert --execute (the kernel and its %%funcx magic) and the extension\'s cell runner agree on every cell', async () => {
    const dir = makeTempDir('funcx-parity-');
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: CELLS.map((source, i) => ({ id: `cell-${i}`, cell_type: 'code', metadata: { tags: ['raises-exception'] }, execution_count: null, outputs: [], source })),
    };
    writeFileSync(join(dir, 'parity.ipynb'), JSON.stringify(notebook));
    const jupyter = join(sdkInterpreter().python, '..', 'jupyter');
    await runProcess(jupyter, ['nbconvert', '--to', 'notebook', '--execute', 'parity.ipynb', '--output', 'executed.ipynb'], {
      name: 'jupyter nbconvert --execute',
      cwd: dir,
      env: world.env,
      timeoutMs: 240_000,
    });
    const executed = JSON.parse(readFileSync(join(dir, 'executed.ipynb'), 'utf8')) as { cells: { outputs: CellOutput[] }[] };
    const kernel = executed.cells.map((cell) => normalized(cell.outputs));

    const client = new HubClient({ hubUrl: world.hub.url, token: world.hub.token });
    await client.connect();
    const frontend = (await runCellsLikeJupyterLab(client, CELLS)).map(normalized);
    client.close();

    for (let i = 0; i < CELLS.length; i++) {
      assert.deepEqual(kernel[i], frontend[i], `cell ${i} differs:\n${CELLS[i]}`);
    }
    assert.deepEqual(kernel[0].map((output) => output.output_type), ['stream', 'stream', 'stream', 'display_data', 'execute_result']);
    assert.equal(kernel[3][0].ename, 'ZeroDivisionError');
    assert.equal(kernel[7][0].ename, 'EndpointNotFound');
    assert.equal(kernel[8].map((output) => output.output_type).join(), 'stream,execute_result');
    assert.deepEqual(kernel.slice(9, 12).map((outputs) => outputs[0].ename), ['FuncxMagicError', 'FuncxMagicError', 'FuncxMagicError']);
    // The first cell says each cell runs in a fresh namespace, the cells of a session share theirs, and a name
    // missing outside the session says it again.
    assert.deepEqual(kernel[13].map((output) => output.data), [{ 'text/plain': '42' }]);
    assert.deepEqual(kernel[14].map((output) => output.output_type), ['display_data', 'error']);
    assert.equal(kernel[14][1].ename, 'NameError');
    assert.deepEqual([kernel[15][0].ename, kernel[17][0].ename], ['FuncxMagicError', 'FuncxMagicError']);
    assert.deepEqual(kernel[16].map((output) => output.data), [{ 'text/plain': '[1, 2]' }]);
    assert.deepEqual(kernel[18].map((output) => output.data), [{ 'text/plain': '0\n1\n4\n9\n16' }, { 'text/plain': '5 items streamed' }]);
    assert.deepEqual(kernel[19].map((output) => output.output_type), ['display_data', 'error']);
    assert.match(String(kernel[19][0].data && (kernel[19][0].data as Record<string, unknown>)['text/plain']),
      /^\{'step': 1, 'label': "it's"\}\n\[1\.5, None, True, 'ünï'\]\n<funcx data reference: 3\.1 KiB, funcx-data:\/\/endpoint\.[0-9a-f-]+\/[0-9a-f]{64}; fetch it with funcx\.store\.get\(ref\)>$/);
    assert.equal(kernel[19][1].ename, 'ValueError');
  });
});
