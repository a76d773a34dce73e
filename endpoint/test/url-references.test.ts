import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HubClient } from '@funcx/client';
import type { TaskRecord } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub } from '@funcx/testing';

const BLOB = randomBytes(3 * 1024 * 1024 + 17);
const DIGEST = `sha256:${createHash('sha256').update(BLOB).digest('hex')}`;
const MEASURE = 'def measure(data):\n    import hashlib, funcx\n    value = funcx.store.get(data)\n    return [len(data), "sha256:" + hashlib.sha256(value).hexdigest()]\n';
const PASS_ON = 'def pass_on(data):\n    return data\n';

describe('URL references: an argument that names a value on the web is fetched by the worker, in pieces, when used', { timeout: 120_000 }, () => {
  let server: Server;
  let base: string;
  let client: HubClient;
  const requests: string[] = [];

  before(async () => {
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.url !== '/blob') {
        response.writeHead(404).end('no such file');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      // In pieces, as a large download arrives.
      for (let offset = 0; offset < BLOB.length; offset += 256 * 1024) response.write(BLOB.subarray(offset, offset + 256 * 1024));
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hub = await startHub({ funcxHome: makeTempDir('funcx-url-refs-') });
    await startEndpoint(hub, { name: 'lab', workers: 1 });
    client = new HubClient({ hubUrl: hub.url, token: hub.token });
  });
  after(async () => {
    client?.close();
    await cleanup();
    await new Promise((resolve) => server.close(resolve));
  });

  const run = async (source: string, entrypoint: string, args: unknown[]): Promise<TaskRecord> => {
    const { task_id } = await client.submit({ source, entrypoint, endpoint: 'lab', args: args as never });
    return client.waitForTask(task_id);
  };

  test('the worker fetches it on first use, and its size and digest are checked', async () => {
    const task = await run(MEASURE, 'measure', [{ $ref: `${base}/blob`, size: BLOB.length, digest: DIGEST }]);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.deepEqual(task.result?.value, [BLOB.length, DIGEST]);
  });

  test('a function that passes it on never fetches it', async () => {
    const before = requests.length;
    const ref = { $ref: `${base}/blob`, digest: DIGEST };
    const task = await run(PASS_ON, 'pass_on', [ref]);
    assert.equal(task.state, 'success', JSON.stringify(task.error));
    assert.deepEqual(task.result?.value, ref);
    assert.equal(requests.length, before, 'no request reached the server');
  });

  test('a digest that does not match, or a URL that answers 404, fails the task saying which', async () => {
    const wrong = await run(MEASURE, 'measure', [{ $ref: `${base}/blob`, digest: `sha256:${'0'.repeat(64)}` }]);
    assert.equal(wrong.state, 'failed');
    assert.equal(wrong.error?.ename, 'DataStoreError');
    assert.match(wrong.error?.evalue ?? '', /gave bytes of digest sha256:[0-9a-f]{64} where its reference says sha256:0{64}/);
    const missing = await run(MEASURE, 'measure', [{ $ref: `${base}/nothing` }]);
    assert.equal(missing.state, 'failed');
    assert.match(missing.error?.evalue ?? '', /could not fetch http:\/\/127\.0\.0\.1:\d+\/nothing: HTTP Error 404/);
  });
});
