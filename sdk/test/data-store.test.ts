import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { cleanup, makeTempDir, startEndpoint, startHub, type HubProcess } from '@funcx/testing';

const SDK_DIR = fileURLToPath(new URL('../../python', import.meta.url));

/** Runs a Python script with the SDK importable (it needs only the standard library) against the hub. */
function sdk(hub: HubProcess, script: string): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', `import json, funcx\n${script}`], {
      timeout: 60_000,
      maxBuffer: 1 << 20,
      env: { ...hub.env(), PYTHONPATH: SDK_DIR },
    }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`${error.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

describe('funcx.store and data references from the Python SDK', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-sdk-data-') });
    // Under bubblewrap: the workers reach the daemon's data server from inside their sandbox.
    await startEndpoint(hub, { name: 'lab', workers: 2, config: { sandbox: 'bwrap', data_store: { result_threshold_bytes: 64 * 1024 } } });
  });
  after(cleanup);

  test('a large result is a DataReference that says its size and is fetched when asked', async () => {
    const [text, size, length, first] = await sdk(hub, [
      'client = funcx.Client()',
      'task = client.run(source="def big(n):\\n    return b\\"y\\" * n\\n", entrypoint="big", endpoint="lab", args=[3 * 1024 * 1024])',
      'ref = client.wait(task, timeout=30)',
      'data = ref.get()',
      'print(json.dumps([repr(ref), ref.size, len(data), data[:1].decode()]))',
    ].join('\n'));
    assert.match(text, /^DataReference\(3 MiB, funcx-data:\/\/endpoint\.[0-9a-f-]{36}\/[0-9a-f]{64}\)$/);
    assert.deepEqual([size, length, first], [3 * 1024 * 1024, 3 * 1024 * 1024, 'y']);
  });

  test('a value put from the notebook is read lazily by a task, and a pickled one comes back as itself', async () => {
    const [length, roundTrip, refused] = await sdk(hub, [
      'client = funcx.Client()',
      'ref = funcx.store.put(b"%" * 100000, endpoint="lab", client=client)',
      'task = client.run(source="def size(x):\\n    return len(x)\\n", entrypoint="size", endpoint="lab", args=[ref])',
      'obj = funcx.store.put({"a": (1, 2.0), "b": {3}}, endpoint="lab", client=client)',
      'strict = funcx.Client(allow_pickle=False)',
      'try:',
      '    funcx.store.get(obj, client=strict)',
      '    refused = None',
      'except funcx.SerializationError as e:',
      '    refused = str(e)',
      'back = funcx.store.get(obj, client=client)',
      'print(json.dumps([client.wait(task, timeout=30), back == {"a": (1, 2.0), "b": {3}}, refused]))',
    ].join('\n'));
    assert.equal(length, 100000);
    assert.equal(roundTrip, true);
    assert.match(refused, /holds a pickle, and this client does not load pickles \(allow_pickle=False\)/);
  });

  test('an Executor passes a reference from one function to the next, and a large value comes back as a DataReference', async () => {
    const file = join(makeTempDir('funcx-sdk-exec-'), 'pipeline.py');
    writeFileSync(file, [
      'import json, funcx',
      'def produce(n):',
      '    import funcx',
      '    return funcx.store.put(b"q" * n)',
      'def consume(data):',
      '    return [len(data), isinstance(data, bytes)]',
      'def text(n):',
      '    return "w" * n',
      'with funcx.Executor(endpoint="lab") as ex:',
      '    ref = ex.submit(produce, 5000).result()',
      '    used = ex.submit(consume, ref).result()',
      '    big = ex.submit(text, 200000).result()',
      '    print(json.dumps([type(ref).__name__, ref.size, used, type(big).__name__, big.get() == "w" * 200000]))',
      '',
    ].join('\n'));
    const out = await new Promise<string>((resolve, reject) => {
      execFile('python3', [file], { timeout: 60_000, env: { ...hub.env(), PYTHONPATH: SDK_DIR } }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout));
    });
    assert.deepEqual(JSON.parse(out.trim()), ['DataReference', 5000, [5000, true], 'DataReference', true]);
  });

  test('Client.stream yields what a generator task yields, in order, a non-JSON item as a DataReference', async () => {
    const [values, last, result] = await sdk(hub, [
      'client = funcx.Client()',
      'task = client.run(source="def gen(n):\\n    for i in range(n):\\n        yield i * i\\n    yield {1, 2}\\n", entrypoint="gen", endpoint="lab", args=[150])',
      'items = list(client.stream(task))',
      'print(json.dumps([items[:-1], sorted(items[-1].get()), client.wait(task, timeout=30)]))',
    ].join('\n'));
    assert.deepEqual(values, Array.from({ length: 150 }, (_, i) => i * i));
    assert.deepEqual(last, [1, 2]);
    assert.deepEqual(result, { stream_items: 151 });
  });

  test('Client.send feeds a task that reads funcx.inputs(), and a finished task takes no more', async () => {
    const [result, late] = await sdk(hub, [
      'client = funcx.Client()',
      'task = client.run(source="def total():\\n    import funcx\\n    return sum(funcx.inputs())\\n", entrypoint="total", endpoint="lab")',
      'client.send(task, *range(100))',
      'client.send(task, done=True)',
      'result = client.wait(task, timeout=30)',
      'try:',
      '    client.send(task, 1)',
      '    late = None',
      'except funcx.FuncxError as e:',
      '    late = e.code',
      'print(json.dumps([result, late]))',
    ].join('\n'));
    assert.deepEqual([result, late], [4950, 'FUNCX_TASK_FINISHED']);
  });

  test('put without an endpoint outside a task, and get of something that is not a reference, say what to do', async () => {
    const [noEndpoint, notRef, missing] = await sdk(hub, [
      'out = []',
      'try:',
      '    funcx.store.put(b"x")',
      'except funcx.FuncxError as e:',
      '    out.append(str(e))',
      'try:',
      '    funcx.store.get({"a": 1})',
      'except TypeError as e:',
      '    out.append(str(e))',
      'ref = funcx.DataReference(funcx.store.put(b"x", endpoint="lab"))',
      'ref["$ref"] = ref["$ref"][:-64] + "0" * 64',
      'try:',
      '    ref.get()',
      'except funcx.FuncxError as e:',
      '    out.append(str(e))',
      'print(json.dumps(out))',
    ].join('\n'));
    assert.match(noEndpoint, /needs the endpoint whose data store keeps the value/);
    assert.match(notRef, /takes a data reference/);
    assert.match(missing, /no value 000000000000… of yours .* \[FUNCX_DATA_NOT_FOUND\]$/);
  });
});
