import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskOutput, TaskRecord } from '@funcx/protocol';
import { cleanup, finalRecord, makeTempDir, startEndpoint, startHub, wasmSource, type EndpointProcess, type HubProcess } from '@funcx/testing';

const printed = (outputs: TaskOutput[]) => outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');

/** Tries every way out of the interpreter it knows of towards a file of the endpoint; says what each gave. */
const STEAL = `
def steal(path):
    import os
    found = {}
    try:
        found['open'] = open(path).read()
    except Exception as error:
        found['open'] = type(error).__name__
    try:
        import js
        found['js'] = str(js.process.env)
    except Exception as error:
        found['js'] = type(error).__name__
    try:
        from pyodide.ffi import to_js
        make = to_js({}).constructor.constructor
        found['function'] = str(make("return process.getBuiltinModule('fs').readFileSync(" + repr(path) + ", 'utf8')")())
    except Exception as error:
        found['function'] = type(error).__name__
    try:
        import pyodide_js
        pyodide_js.mountNodeFS('/host', os.path.dirname(path))
        found['mount'] = open('/host/' + os.path.basename(path)).read()
    except Exception as error:
        found['mount'] = type(error).__name__
    found['environment'] = sorted(os.environ)
    return found
`;

/** Python in WebAssembly (Pyodide from npm) on a real endpoint: untrusted code, no way to the endpoint's files. */
describe('Python with isolation "wasm"', () => {
  let hub: HubProcess;
  let client: HubClient;
  let endpoint: EndpointProcess;
  let credentials: string;
  const ids = new Map<string, string>();

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-pyodide-') });
    endpoint = await startEndpoint(hub, { name: 'mixed', workers: 1, config: { wasm_threads: 1, pyodide: true } });
    await startEndpoint(hub, { name: 'untrusting', workers: 1, config: { wasm_threads: 1, isolation: 'wasm' } });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
    credentials = join(endpoint.dir, 'config.yaml');
    const functions: [string, string, string, 'wasm' | undefined][] = [
      ['mean', 'def mean(xs):\n    print("n =", len(xs))\n    return sum(xs) / len(xs)\n', 'mean', 'wasm'],
      ['steal', STEAL, 'steal', 'wasm'],
      ['steal-in-a-process', STEAL, 'steal', undefined],
      ['spin', 'while True:\n    pass\n', '', 'wasm'],
      ['platform', 'import sys\nsys.platform', '', undefined],
      ['raises', 'def fails():\n    raise ValueError("no good")\n', 'fails', 'wasm'],
    ];
    for (const [name, source, entrypoint, isolation] of functions) {
      const { function_id } = await client.registerFunction({ name, source, language: 'python', ...(entrypoint ? { entrypoint } : {}), ...(isolation ? { isolation } : {}) });
      ids.set(name, function_id);
    }
    ids.set('add', (await client.registerFunction({ name: 'add', language: 'wasm', source: wasmSource('add'), entrypoint: 'add' })).function_id);
  });
  after(async () => {
    client?.close();
    await cleanup();
  });

  const run = async (name: string, endpointName: string, args: unknown[] = [], extra: object = {}): Promise<TaskRecord> => {
    const { task_id } = await client.submit({ endpoint: endpointName, function_id: ids.get(name)!, args: args as never, ...extra });
    return finalRecord(() => client.getTask(task_id), `task ${task_id} (${name})`, 90_000);
  };

  test('the endpoints say they run Python in WebAssembly', async () => {
    assert.deepEqual((await client.getEndpoint('mixed')).capabilities?.isolation, ['process', 'wasm']);
    assert.deepEqual((await client.getEndpoint('untrusting')).capabilities?.isolation, ['wasm']);
    assert.equal((await run('add', 'mixed', [40, 2])).result?.value, 42, 'a thread with Pyodide runs WASI modules too');
  });

  test('a small untrusted function runs in Pyodide: its value comes back and what it prints is streamed', async () => {
    const task = await run('mean', 'mixed', [[1, 2, 3, 4]]);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.equal(task.result?.value, 2.5);
    assert.equal(printed(task.outputs), 'n = 4\n');
  });

  test("the same code cannot read the endpoint's credentials from Pyodide, by any way out it tries; in a process it can", async () => {
    const secret = readFileSync(credentials, 'utf8');
    assert.match(secret, /endpoint_token/);
    const contained = await run('steal', 'mixed', [credentials]);
    assert.equal(contained.state, 'success', JSON.stringify(contained.error));
    const found = contained.result?.value as Record<string, unknown>;
    assert.equal(found.open, 'FileNotFoundError');
    assert.equal(found.js, 'AttributeError', 'import js has no globals');
    assert.equal(found.function, 'JsException', 'no code from strings');
    assert.equal(found.mount, 'ModuleNotFoundError', 'the Pyodide API is not importable');
    assert.doesNotMatch(JSON.stringify(found.environment), /FUNCX/);
    assert.doesNotMatch(JSON.stringify(contained.result), /endpoint_token/);
    const exposed = await run('steal-in-a-process', 'mixed', [credentials]);
    assert.equal(exposed.state, 'success', JSON.stringify(exposed.error));
    assert.match(String((exposed.result?.value as Record<string, unknown>).open), /endpoint_token/, 'a process without a sandbox reads it: the check above can fail');
  });

  test('an exception fails the task with its traceback in the user\'s terms', async () => {
    const task = await run('raises', 'mixed');
    assert.equal(task.error?.ename, 'ValueError');
    assert.equal(task.error?.evalue, 'no good');
    assert.ok(task.error!.traceback.some((line) => line.includes('<function fails>')), task.error!.traceback.join('\n'));
  });

  test('an endpoint with isolation "wasm" runs every Python function in Pyodide', async () => {
    const task = await run('platform', 'untrusting');
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.equal(task.result?.value, 'emscripten');
    assert.equal((await run('platform', 'mixed')).result?.value, 'linux', 'without it, Python without isolation runs in a process');
  });

  test("another user's wasm task still runs when the only thread's interpreter ran this user's Python (it is given a fresh thread)", async () => {
    assert.equal((await run('mean', 'mixed', [[1, 3]])).result?.value, 2, "the only thread's interpreter is this user's now");
    const bob = new HubClient({ hubUrl: hub.url, token: await hub.addUser('bob') });
    try {
      await client.shareEndpoint('mixed', { users: ['bob'] });
      await client.shareFunction(ids.get('add')!, { users: ['bob'] });
      const { task_id } = await bob.submit({ endpoint: (await client.getEndpoint('mixed')).endpoint_id, function_id: ids.get('add')!, args: [1, 2] });
      const task = await finalRecord(() => bob.getTask(task_id), `bob's task ${task_id}`, 90_000);
      assert.equal(task.result?.value, 3);
    } finally {
      bob.close();
    }
  });

  test('Python that never ends is stopped at its time limit, and the next task runs in a fresh interpreter', async () => {
    const spun = await run('spin', 'mixed', [], { timeout_s: 1 });
    assert.equal(spun.error?.ename, 'TimeoutError');
    assert.match(spun.error!.evalue, /stopped at its time limit of 1 s/);
    const next = await run('mean', 'mixed', [[10, 20]]);
    assert.equal(next.result?.value, 15);
  });
});
