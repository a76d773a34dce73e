import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FlowDefinition } from '@funcx/protocol';
import { cleanup, makeTempDir, startEndpoint, startHub, type HubProcess } from '@funcx/testing';
import { HubClient } from '../src/hub-client.js';
import { workerPython } from './support/world.js';

/** Sums the JSON list behind a data reference and stores the total as a reference of its own. */
const TOTAL = 'import json\nimport funcx\n\ndef total(data):\n    return funcx.store.put(json.dumps(sum(json.loads(data.decode()))).encode())\n';

describe('the data action: a flow passes values to functions through the endpoint\'s data store', { timeout: 180_000 }, () => {
  let hub: HubProcess;
  let client: HubClient;
  let bob: HubClient;

  before(async () => {
    hub = await startHub({ funcxHome: makeTempDir('funcx-home-') });
    await startEndpoint(hub, { name: 'site', workers: 1, python: workerPython() });
    client = new HubClient({ hubUrl: hub.url, token: hub.token, requestTimeoutMs: 15_000 });
    const token = await hub.addUser('bob');
    bob = new HubClient({ hubUrl: hub.url, token, requestTimeoutMs: 15_000 });
  });
  after(async () => {
    client?.close();
    bob?.close();
    await cleanup();
  });

  const pipeline = (): FlowDefinition => ({
    StartAt: 'store',
    States: {
      store: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'put', endpoint: 'site', 'value.$': '$.numbers' }, ResultPath: '$.stored', Next: 'sum' },
      sum: {
        Type: 'Action',
        ActionUrl: 'funcx',
        Parameters: { endpoint: 'site', source: TOTAL, entrypoint: 'total', 'args.=': '[stored.details.ref]' },
        ResultPath: '$.summed',
        Next: 'read',
      },
      read: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'get', 'ref.$': '$.summed.details.result' }, ResultPath: '$.total', End: true },
    },
  });

  test('put a value, a function reads it by reference and stores its answer, get reads that answer back', async () => {
    const flow = await client.flows.deploy({ definition: pipeline() });
    const run = await client.flows.run(flow.flow_id, { input: { numbers: [1, 2, 3, 4] } });
    const view = await client.flows.waitForRun(run.run_id, { intervalMs: 100, timeoutMs: 60_000 });
    assert.equal(view.status, 'SUCCEEDED', JSON.stringify(view.error));
    const output = view.output as { stored: { details: { ref: { $ref: string; kind: string } } }; total: { details: { value: number; size: number } } };
    assert.match(output.stored.details.ref.$ref, /^funcx-data:\/\/endpoint\.[0-9a-f-]{36}\/[0-9a-f]{64}$/);
    assert.equal(output.stored.details.ref.kind, 'bytes');
    assert.deepEqual(output.total.details, { size: 2, value: 10 });
  });

  test("another user's run cannot read the reference, and a pickled value or a bad op is a clear failure", async () => {
    const stored = await client.flows.waitForRun(
      (await client.flows.run((await client.flows.deploy({ definition: { StartAt: 'put', States: { put: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'put', endpoint: 'site', value: 'secret' }, End: true } } } })).flow_id, {})).run_id,
      { intervalMs: 100, timeoutMs: 30_000 },
    );
    const ref = (stored.output as { details: { ref: unknown } }).details.ref;
    const theft = await bob.flows.deploy({ definition: { StartAt: 'get', States: { get: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'get', ref: ref as never }, End: true } } } });
    const stolen = await bob.flows.waitForRun((await bob.flows.run(theft.flow_id, {})).run_id, { intervalMs: 100, timeoutMs: 30_000 });
    assert.equal(stolen.status, 'FAILED');
    assert.equal(stolen.error?.Error, 'ActionUnableToRun');
    assert.doesNotMatch(JSON.stringify(stolen), /secret/);

    const pickled = { ...(ref as object), kind: 'pickle' };
    const unpickle = await client.flows.deploy({ definition: { StartAt: 'get', States: { get: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'get', ref: pickled as never }, End: true } } } });
    const refused = await client.flows.waitForRun((await client.flows.run(unpickle.flow_id, {})).run_id, { intervalMs: 100, timeoutMs: 30_000 });
    assert.equal(refused.status, 'FAILED');
    assert.match(refused.error?.Cause ?? '', /pickled Python value, which a flow cannot read: pass the reference on to a function instead/);

    await assert.rejects(
      client.flows.deploy({ definition: { StartAt: 'x', States: { x: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'delete' }, End: true } } } }),
      /States\.x\.Parameters\.op: the data action needs "op": "put" \(with "endpoint" and "value"\) or "get" \(with "ref"\)/,
    );
    await assert.rejects(
      client.flows.deploy({ definition: { StartAt: 'x', States: { x: { Type: 'Action', ActionUrl: 'data', Parameters: { op: 'put', value: 1 }, End: true } } } }),
      /the data action's put needs "endpoint"/,
    );
  });
});
