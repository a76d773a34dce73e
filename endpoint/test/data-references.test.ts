import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { DataReference, TaskRecord } from '@funcx/protocol';
import { bin, cleanup, makeTempDir, runProcess, startEndpoint, startHub, type EndpointProcess, type HubProcess } from '@funcx/testing';

const MiB = 1024 * 1024;

/** Functions of a two-step pipeline and its checks, run as inline source through the hub. */
const PRODUCE = 'def produce(n):\n    import funcx\n    return funcx.store.put(b"%" * n)\n';
const CONSUME = 'def consume(data):\n    return [len(data), bytes(data[:1]).decode(), isinstance(data, bytes)]\n';
const PASS_ON = 'def pass_on(data):\n    import funcx_store\n    return {"ref": data, "fetched": object.__getattribute__(data, "__funcx_loaded__")}\n';
const BIG = 'def big(n):\n    return b"x" * n\n';
const STEAL = 'def steal(ref):\n    import funcx\n    return funcx.store.get(ref)\n';
const FORGE = [
  'def forge(ref, owner):',
  '    import base64, funcx_store',
  '    active = funcx_store.ACTIVE',
  '    name = base64.urlsafe_b64encode(owner.encode()).decode().rstrip("=")',
  '    forged = funcx_store.DataClient("%s:%d" % (active.host, active.port), name + "." + "A" * 43)',
  '    try:',
  '        forged.get_bytes(object.__getattribute__(ref, "__funcx_ref__")["$ref"])',
  '    except funcx_store.DataStoreError as error:',
  '        return [error.code, str(error)]',
  '    return "read"',
  '',
].join('\n');

describe('data references through a real hub, endpoint daemon and Python workers', { timeout: 120_000 }, () => {
  let hub: HubProcess;
  let endpoint: EndpointProcess;
  let alice: HubClient;
  let bob: HubClient;
  let bobToken: string;
  /** The lab endpoint as bob names it: OWNER/lab. */
  let sharedLab: string;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-data-') });
    [endpoint] = await Promise.all([
      startEndpoint(hub, { name: 'lab', workers: 2, config: { data_store: { result_threshold_bytes: 64 * 1024 } } }),
      startEndpoint(hub, { name: 'bare', workers: 1, config: { data_store: false } }),
    ]);
    alice = new HubClient({ hubUrl: hub.url, token: hub.token });
    bobToken = await hub.addUser('bob');
    bob = new HubClient({ hubUrl: hub.url, token: bobToken });
    const shared = await fetch(`${hub.url}/v1/endpoints/lab/sharing`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ users: ['bob'] }),
    });
    assert.equal(shared.status, 200);
    sharedLab = `${(await alice.whoami()).user}/lab`;
  });
  after(async () => {
    alice.close();
    bob.close();
    await cleanup();
  });

  const run = async (client: HubClient, source: string, entrypoint: string, args: unknown[], endpointName = 'lab'): Promise<TaskRecord> => {
    const { task_id } = await client.submit({ source, entrypoint, endpoint: endpointName, args: args as never });
    return finished(client, task_id);
  };
  /** The task once final; a task still unfinished after 30 s fails the test with its record (never a silent hang). */
  const finished = async (client: HubClient, taskId: string): Promise<TaskRecord> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        client.getTask(taskId).then(
          (task) => reject(new Error(`task ${taskId} did not finish within 30 s: ${JSON.stringify(task).slice(0, 2000)}\n${endpoint.process?.output.slice(-3000)}`)),
          reject,
        );
      }, 30_000);
    });
    try {
      return await Promise.race([client.waitForTask(taskId), late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const value = (task: TaskRecord) => {
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    return task.result?.value as any;
  };
  const fetchData = (ref: DataReference, token = hub.token) => {
    const [store, digest] = ref.$ref.slice('funcx-data://'.length).split('/');
    return fetch(`${hub.url}/v1/endpoints/${ref.endpoint_id}/data/${store}/${digest}`, { headers: { authorization: `Bearer ${token}` } });
  };

  // First, while the workers belong to nobody: a session binds its worker itself, and the worker gets the store then.
  test("a session's worker reaches the data store: what one task of the session puts, a later one reads", async () => {
    const put = await finished(alice, (await alice.submit({ source: 'import funcx\nkept = funcx.store.put(b"s" * 1000)\nkept["size"]', endpoint: 'lab', session: 'stored' })).task_id);
    assert.equal(put.state, 'success', JSON.stringify(put.error));
    assert.equal(put.result?.value, 1000);
    const read = await finished(alice, (await alice.submit({ source: 'import funcx\nlen(funcx.store.get(kept))', endpoint: 'lab', session: 'stored' })).task_id);
    assert.equal(read.state, 'success', JSON.stringify(read.error));
    assert.equal(read.result?.value, 1000);
    await alice.endSession('stored', 'lab');
  });

  test('a value one task puts reaches the next by reference, and a task that passes it on never fetches it', async () => {
    const ref = value(await run(alice, PRODUCE, 'produce', [MiB])) as DataReference;
    assert.match(ref.$ref, new RegExp(`^funcx-data://endpoint\\.${endpoint.endpointId}/[0-9a-f]{64}$`));
    assert.equal(ref.size, MiB);
    assert.equal(ref.kind, 'bytes');
    assert.match(ref.digest, /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(value(await run(alice, CONSUME, 'consume', [ref])), [MiB, '%', true]);
    const passed = value(await run(alice, PASS_ON, 'pass_on', [ref]));
    assert.deepEqual(passed, { ref, fetched: false });
    const again = value(await run(alice, PRODUCE, 'produce', [MiB])) as DataReference;
    assert.equal(again.$ref, ref.$ref, 'the same value is the same reference (written once, by digest)');
  });

  test('a result over the threshold comes back as a reference, which the hub serves with its size and kind', async () => {
    const small = await run(alice, BIG, 'big', [1000]);
    assert.match(String(small.result?.data['text/plain']), /^b'x{1000}'$/, 'under the threshold a result comes inline');
    const task = await run(alice, BIG, 'big', [9 * MiB + 5]);
    const ref = value(task) as DataReference;
    assert.equal(ref.size, 9 * MiB + 5);
    assert.match(String(task.result?.data['text/plain']), /^<funcx data reference: 9 MiB, funcx-data:\/\//);
    const response = await fetchData(ref);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-funcx-data-kind'), 'bytes');
    assert.equal(response.headers.get('content-length'), String(9 * MiB + 5));
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.length, 9 * MiB + 5, 'read in two parts of 8 MiB');
    assert.ok(bytes.every((b) => b === 0x78));
  });

  test("another user's reference reads nothing of it, from a task, from a forged token, or through the hub", async () => {
    const ref = value(await run(alice, PRODUCE, 'produce', [1000])) as DataReference;
    const stolen = await run(bob, STEAL, 'steal', [ref], sharedLab);
    assert.equal(stolen.state, 'failed');
    assert.equal(stolen.error?.ename, 'DataStoreError');
    assert.match(stolen.error!.evalue, /no value [0-9a-f]{12}… of yours in data store .*not yours \(references are per user\)/);
    const owner = sharedLab.split('/')[0];
    assert.deepEqual(value(await run(bob, FORGE, 'forge', [ref, owner], sharedLab))[0], 'unauthorized', "a token made up for the owner's name is refused");
    const viaHub = await fetchData(ref, bobToken);
    assert.equal(viaHub.status, 404);
    const body = (await viaHub.json()) as { code: string; message: string };
    assert.equal(body.code, 'FUNCX_DATA_NOT_FOUND');
    assert.match(body.message, /not yours/);
    assert.equal((await fetchData(ref)).status, 200, 'alice reads it');
  });

  test('the CLI says a result is a reference, with its size, and fetches it into a file', async () => {
    const file = join(makeTempDir('funcx-cli-data-'), 'big.py');
    writeFileSync(file, 'b"z" * (200 * 1024)\n');
    const ran = await runProcess(process.execPath, [bin.funcx, 'run', file, '--endpoint', 'lab'], { env: hub.env(), timeoutMs: 30_000 });
    const taskId = (await alice.listTasks({ limit: 1 })).tasks[0].task_id;
    assert.match(ran.stdout, new RegExp(`^data reference: 200 KiB \\(bytes\\) funcx-data://endpoint\\.${endpoint.endpointId}/[0-9a-f]{64}\nfetch it with: funcx data get ${taskId} -o FILE\n$`));
    const out = join(makeTempDir('funcx-cli-out-'), 'value.bin');
    const got = await runProcess(process.execPath, [bin.funcx, 'data', 'get', taskId, '-o', out], { env: hub.env(), timeoutMs: 30_000 });
    assert.match(got.stderr, /wrote 200 KiB \(bytes\) to /);
    assert.equal(statSync(out).size, 200 * 1024);
    assert.ok(readFileSync(out).every((b) => b === 0x7a));
  });

  test('funcx run prints a generator cell\'s items as they come, one JSON a line, then how many it streamed', async () => {
    const file = join(makeTempDir('funcx-cli-stream-'), 'gen.py');
    writeFileSync(file, '({"i": i} for i in range(200))\n');
    const ran = await runProcess(process.execPath, [bin.funcx, 'run', file, '--endpoint', 'lab'], { env: hub.env(), timeoutMs: 60_000 });
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i }));
    assert.equal(ran.stdout, `${lines.join('\n')}\n200 items streamed\n`, 'more items than the endpoint holds unread: the CLI read them as they came');
  });

  test('a client stores a value through the hub and passes its reference to a task', async () => {
    const stored = await fetch(`${hub.url}/v1/endpoints/lab/data?kind=bytes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('%'.repeat(4096)),
    });
    assert.equal(stored.status, 201);
    const { ref } = (await stored.json()) as { ref: DataReference };
    assert.equal(ref.size, 4096);
    assert.deepEqual(value(await run(alice, CONSUME, 'consume', [ref])), [4096, '%', true]);
    const badKind = await fetch(`${hub.url}/v1/endpoints/lab/data?kind=json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from('x'),
    });
    assert.equal(badKind.status, 400);
    assert.match(((await badKind.json()) as { message: string }).message, /querystring\/kind must be one of "bytes", "pickle"/);
  });

  test('a cell whose last expression is a generator streams its items, and its task says so before it ends', async () => {
    const flag = join(makeTempDir('funcx-flag-'), 'go');
    const source = `import os, time\ndef numbers():\n    yield "first"\n    while not os.path.exists(${JSON.stringify(flag)}):\n        time.sleep(0.02)\n    yield from range(100)\nnumbers()`;
    const [taskId] = (await alice.submitLive([{ source, endpoint: 'lab' }])).task_ids;
    const said = await new Promise<{ state: string; streams?: true }>((resolve) => {
      const stop = alice.watchTask(taskId, {
        onState: (event) => {
          if (!event.streams) return;
          stop();
          resolve(event);
        },
      });
    });
    assert.deepEqual([said.state, said.streams], ['running', true], 'a state event says the running task streams');
    assert.equal((await alice.getTask(taskId)).streams, true, 'and so does its record');
    const first = await alice.readItems(taskId, 0, 10_000);
    assert.deepEqual(first.items, ['first'], 'the first item is read while the generator waits');
    writeFileSync(flag, '');
    const seen: unknown[] = [...first.items];
    for (let from = first.next, done = false; !done; ) {
      const page = await alice.readItems(taskId, from, 10_000);
      seen.push(...page.items);
      from = page.next;
      done = page.done;
    }
    assert.deepEqual(seen, ['first', ...Array.from({ length: 100 }, (_, i) => i)]);
    const task = await finished(alice, taskId);
    assert.deepEqual([task.state, task.result?.value, task.result?.data['text/plain'], task.streams], ['success', { stream_items: 101 }, '101 items streamed', true]);
  });

  test('without a data store a generator is its repr, as in a kernel, and its task does not stream', async () => {
    for (const [source, entrypoint] of [['(i for i in range(1000))', undefined], ['def gen():\n    yield 1\n', 'gen']] as const) {
      const task = await run(alice, source, entrypoint as unknown as string, [], 'bare');
      assert.equal(task.state, 'success', JSON.stringify(task.error));
      assert.match(String(task.result?.data['text/plain']), /^<generator object \S+ at 0x[0-9a-f]+>$/);
      assert.equal(task.streams, undefined);
    }
  });

  test('a generator streams what it yields, held back at the endpoint while nobody reads', async () => {
    const items = async (taskId: string, from: number, token = hub.token) => {
      const response = await fetch(`${hub.url}/v1/tasks/${taskId}/items?from=${from}&wait_ms=0`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as any };
    };
    const { task_id } = await alice.submit({ source: 'def gen(n):\n    for i in range(n):\n        yield {"i": i}\n    yield b"not json"\n', entrypoint: 'gen', endpoint: 'lab', args: [200] });
    let first: any;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      first = (await items(task_id, 0)).body;
      if (first.items.length === 64) break;
    }
    assert.equal(first.items.length, 64, 'the endpoint holds 64 unread items');
    assert.equal((await items(task_id, 0)).body.items.length, 64, 'and the generator waits: no more come while nobody reads');
    assert.ok(!['success', 'failed', 'cancelled'].includes((await alice.getTask(task_id)).state), 'the task has not finished');
    assert.equal((await items(task_id, 0, bobToken)).status, 403, "another user's task's items are refused");
    const seen: unknown[] = [];
    let from = 0;
    for (let done = false; !done; ) {
      const response = await fetch(`${hub.url}/v1/tasks/${task_id}/items?from=${from}&wait_ms=5000`, { headers: { authorization: `Bearer ${hub.token}` } });
      const page = (await response.json()) as { items: unknown[]; next: number; done: boolean };
      seen.push(...page.items);
      from = page.next;
      done = page.done;
    }
    assert.equal(seen.length, 201);
    assert.deepEqual(seen.slice(0, 3), [{ i: 0 }, { i: 1 }, { i: 2 }]);
    assert.deepEqual(seen[199], { i: 199 });
    const last = seen[200] as DataReference;
    assert.equal(last.kind, 'bytes', 'an item that is not JSON comes as a data reference');
    assert.equal(Buffer.from(await (await fetchData(last)).arrayBuffer()).toString(), 'not json');
    const task = await finished(alice, task_id);
    assert.deepEqual(task.result?.value, { stream_items: 201 });
  });

  test('a generator that fails half way: its items before the error are read, then the stream ends', async () => {
    const { task_id } = await alice.submit({ source: 'def gen():\n    yield 1\n    yield 2\n    raise ValueError("half way")\n', entrypoint: 'gen', endpoint: 'lab' });
    const task = await finished(alice, task_id);
    assert.equal(task.state, 'failed');
    assert.match(task.error!.evalue, /half way/);
    assert.ok(task.error!.traceback.every((line) => !line.includes('funcx_store')), 'the worker\'s own frames are left out');
    assert.equal(task.streams, true, 'the record of a quick generator says it streamed, from its completion');
    const page = (await (await fetch(`${hub.url}/v1/tasks/${task_id}/items?from=0`, { headers: { authorization: `Bearer ${hub.token}` } })).json()) as any;
    assert.deepEqual([page.items, page.done], [[1, 2], true], 'the error ended the stream');
  });

  test("a task reads the inputs a client sends it as they come, and another task reads a generator's items as they are yielded", async () => {
    const send = (taskId: string, body: unknown) =>
      fetch(`${hub.url}/v1/tasks/${taskId}/inputs`, { method: 'POST', headers: { authorization: `Bearer ${hub.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const { task_id } = await alice.submit({ source: 'def double_all():\n    import funcx\n    return [x * 2 for x in funcx.inputs()]\n', entrypoint: 'double_all', endpoint: 'lab' });
    assert.deepEqual(await (await send(task_id, { items: [1, 2] })).json(), { accepted: 2 });
    assert.deepEqual(await (await send(task_id, { items: [3], done: true })).json(), { accepted: 1 });
    assert.deepEqual((await finished(alice, task_id)).result?.value, [2, 4, 6]);
    const late = await send(task_id, { items: [4] });
    assert.equal(late.status, 409);
    assert.match(((await late.json()) as { message: string }).message, /has already finished \(success\): it reads no more inputs/);
    const bad = await send(task_id, { items: 'x' });
    assert.equal(bad.status, 400);

    const producer = await alice.submit({ source: 'def gen(n):\n    for i in range(n):\n        yield i\n', entrypoint: 'gen', endpoint: 'lab', args: [100] });
    const consumer = await alice.submit({ source: 'def total(task_id):\n    import funcx_store\n    return sum(funcx_store.items(task_id))\n', entrypoint: 'total', endpoint: 'lab', args: [producer.task_id] });
    assert.equal((await finished(alice, consumer.task_id)).result?.value, 4950, 'the second function read the first one\'s 100 items while it ran (64 at most were held)');
    assert.equal((await finished(alice, producer.task_id)).state, 'success');
  });

  test('a memoized repeat of a pure function is answered without running it again on the endpoint', async () => {
    const marks = join(makeTempDir('funcx-memo-'), 'runs');
    const source = `def count(x):\n    with open(${JSON.stringify(marks)}, "a") as f:\n        f.write("ran\\n")\n    print("counted", x)\n    return x + 1\n`;
    const { function_id } = await alice.registerFunction({ name: 'count', source, entrypoint: 'count', language: 'python', pure: true });
    const first = await finished(alice, (await alice.submit({ function_id, endpoint: 'lab', args: [1] })).task_id);
    const repeat = await finished(alice, (await alice.submit({ function_id, endpoint: 'lab', args: [1] })).task_id);
    assert.equal(repeat.result?.value, 2);
    assert.equal(repeat.cached?.task_id, first.task_id);
    assert.deepEqual(repeat.outputs, first.outputs);
    assert.equal(readFileSync(marks, 'utf8'), 'ran\n', 'the function ran once');
  });
});
