import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { DataReference, TaskRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, startRedis, type EndpointProcess, type HubProcess, type RedisProcess } from '@funcx/testing';

const MiB = 1024 * 1024;
const BIG = 'def big(n):\n    return bytes(i % 251 for i in range(n))\n';
const LENGTH = 'def length(data):\n    return [len(data), bytes(data[:3]).decode()]\n';

describe("an endpoint's data through another hub on the same Redis", { timeout: 120_000 }, () => {
  let redis: RedisProcess;
  /** The hub the client uses, and the one the endpoint daemon is connected to. */
  let hubA: HubProcess;
  let hubB: HubProcess;
  let endpoint: EndpointProcess;
  let client: HubClient;
  let bobToken: string;

  before(async () => {
    redis = await startRedis();
    const store = ['--store', `${redis.url}/0`];
    hubA = await startHub({ funcxHome: makeTempDir('funcx-across-a-'), extraArgs: store });
    hubB = await startHub({ funcxHome: makeTempDir('funcx-across-b-'), extraArgs: store });
    endpoint = await startEndpoint(hubB, { name: 'lab', workers: 1, config: { data_store: { result_threshold_bytes: 64 * 1024 } } });
    client = new HubClient({ hubUrl: hubA.url, token: hubB.token });
    bobToken = await hubA.addUser('bob');
  });
  after(async () => {
    client.close();
    await cleanup();
  });

  const headers = (token = hubB.token) => ({ authorization: `Bearer ${token}` });
  const finished = async (taskId: string): Promise<TaskRecord> => {
    const task = await client.waitForTask(taskId);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    return task;
  };
  const fetchData = (ref: DataReference, token?: string) => {
    const [store, digest] = ref.$ref.slice('funcx-data://'.length).split('/');
    return fetch(`${hubA.url}/v1/endpoints/${ref.endpoint_id}/data/${store}/${digest}`, { headers: headers(token) });
  };

  test('a result kept as a reference is read whole through the hub the client uses, in parts', async () => {
    const size = 3 * MiB + 7;
    const task = await finished((await client.submit({ source: BIG, entrypoint: 'big', endpoint: 'lab', args: [size] })).task_id);
    const ref = task.result?.value as unknown as DataReference;
    assert.equal(ref.size, size);
    const response = await fetchData(ref);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('content-length'), String(size));
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.length, size);
    assert.ok(bytes.every((b, i) => b === i % 251), 'every byte as the task made it');
    assert.equal((await fetchData(ref, bobToken)).status, 403, 'another user may not use the endpoint');
    const shared = await fetch(`${hubA.url}/v1/endpoints/lab/sharing`, {
      method: 'PUT',
      headers: { ...headers(), 'content-type': 'application/json' },
      body: JSON.stringify({ users: ['bob'] }),
    });
    assert.equal(shared.status, 200);
    const stolen = await fetchData(ref, bobToken);
    assert.equal(stolen.status, 404, 'and once it is shared with him, the daemon serves him none of its owner\'s values');
    assert.equal(((await stolen.json()) as { code: string }).code, 'FUNCX_DATA_NOT_FOUND');
  });

  test('a value a client stores through its hub reaches a task on the endpoint of the other hub', async () => {
    const response = await fetch(`${hubA.url}/v1/endpoints/lab/data`, {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'application/octet-stream' },
      body: Buffer.from('abc'.repeat(1000)),
    });
    assert.equal(response.status, 201, await response.clone().text());
    const { ref } = (await response.json()) as { ref: DataReference };
    const task = await finished((await client.submit({ source: LENGTH, entrypoint: 'length', endpoint: 'lab', args: [ref as never] })).task_id);
    assert.deepEqual(task.result?.value, [3000, 'abc']);
  });

  test("a generator's items and a task's inputs go through the hub the client uses", async () => {
    const producer = await client.submit({ source: 'def gen(n):\n    for i in range(n):\n        yield i\n', entrypoint: 'gen', endpoint: 'lab', args: [10] });
    const seen: number[] = [];
    for (let from = 0, done = false; !done; ) {
      const response = await fetch(`${hubA.url}/v1/tasks/${producer.task_id}/items?from=${from}&wait_ms=5000`, { headers: headers() });
      assert.equal(response.status, 200, await response.clone().text());
      const page = (await response.json()) as { items: number[]; next: number; done: boolean };
      seen.push(...page.items);
      from = page.next;
      done = page.done;
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const doubler = await client.submit({ source: 'def double_all():\n    import funcx\n    return [x * 2 for x in funcx.inputs()]\n', entrypoint: 'double_all', endpoint: 'lab' });
    const send = async (body: unknown) => {
      const response = await fetch(`${hubA.url}/v1/tasks/${doubler.task_id}/inputs`, { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json() };
    };
    assert.deepEqual(await send({ items: [1, 2] }), { status: 200, body: { accepted: 2 } });
    assert.deepEqual(await send({ items: [3], done: true }), { status: 200, body: { accepted: 1 } });
    assert.deepEqual((await finished(doubler.task_id)).result?.value, [2, 4, 6]);
  });

  test('once the endpoint is offline, a read through either hub says so (rather than waiting for an answer)', async () => {
    const task = await finished((await client.submit({ source: BIG, entrypoint: 'big', endpoint: 'lab', args: [100_000] })).task_id);
    const ref = task.result?.value as unknown as DataReference;
    await endpoint.stop();
    for (const hub of [hubA, hubB]) {
      const [store, digest] = ref.$ref.slice('funcx-data://'.length).split('/');
      const response = await fetch(`${hub.url}/v1/endpoints/${ref.endpoint_id}/data/${store}/${digest}`, { headers: headers() });
      assert.equal(response.status, 409);
      const body = (await response.json()) as { code: string; message: string };
      assert.equal(body.code, 'FUNCX_DATA_UNAVAILABLE');
      assert.match(body.message, /endpoint lab is offline: its data store and its tasks' streams can be reached once it is online again/);
    }
  });
});
