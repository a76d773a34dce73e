import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FlowRecord, FlowRunRecord } from '@funcx/protocol';
import { cleanup, startActionProvider, type ActionProviderProcess } from '@funcx/testing';
import { collect, connectEndpoint, registerEndpoint, startTestHub, type EndpointClient, type TestHub } from './support/hub.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hub: TestHub;
let provider: ActionProviderProcess;
let endpoint: EndpointClient;

before(async () => {
  hub = await startTestHub();
  provider = await startActionProvider();
  endpoint = await connectEndpoint(hub.url, (await registerEndpoint(hub, 'resume-site')).endpoint_token);
  endpoint.on('tasks:dispatch', (batch) => {
    for (const task of batch.tasks) {
      endpoint.emit('tasks:done', [{ task_id: task.task_id, state: 'success', timestamps: {}, result: { value: 'done once', data: { 'text/plain': "'done once'" } } }], () => undefined);
    }
  });
});
after(async () => {
  endpoint?.disconnect();
  await hub?.cleanup();
  await cleanup();
});

it('a run whose hub died after starting its actions, before recording them, starts neither again', async () => {
  const dispatched = collect(endpoint);
  const deployed = await hub.call('POST', '/v1/flows', {
    definition: {
      StartAt: 'work',
      States: {
        work: { Type: 'Action', ActionUrl: provider.url, Parameters: { op: 'sleep', seconds: 0.2 }, ResultPath: '$.work', Next: 'compute' },
        compute: { Type: 'Action', ActionUrl: 'funcx', Parameters: { endpoint: 'resume-site', source: 'print(1)' }, ResultPath: '$.compute', End: true },
      },
    },
  });
  const flow = deployed.body as FlowRecord;
  const store = hub.running.hub.store.flows;
  const now = Date.now();
  const newRun = (): FlowRunRecord => ({ run_id: crypto.randomUUID(), flow_id: flow.flow_id, flow_title: flow.title, owner: 'alice', status: 'ACTIVE', input: {}, definition: flow.definition, created_at: now });
  // What hubs that died left: one right after calling the provider for `work`, one right after submitting the
  // task of `compute` (each before recording what it started). The actions go first: the runs can be claimed
  // as soon as they exist.
  const atWork = newRun();
  const started = await fetch(`${provider.url}/run`, { method: 'POST', body: JSON.stringify({ request_id: `${atWork.run_id}:main:0:0`, body: { op: 'sleep', seconds: 0.2 } }) });
  assert.equal(started.status, 202);
  const atCompute = newRun();
  const submitted = await hub.call('POST', '/v1/tasks', { endpoint: 'resume-site', source: 'print(1)', task_group: `flow:${atCompute.run_id}:main:1:0` });
  assert.equal(submitted.statusCode, 202);
  await store.createRun('a-hub-that-died', 1, atWork, [{ thread_id: 'main', scope: [], state: 'work', step: 0, attempt: 0, phase: 'enter', input: {}, entered_at: now }], []);
  await store.createRun('another-hub-that-died', 1, atCompute, [{ thread_id: 'main', scope: [], state: 'compute', step: 1, attempt: 0, phase: 'enter', input: { work: {} }, entered_at: now }], []);

  type View = { status: string; events: { type: string }[]; output: { compute: { action_id: string; details: { result: string } } } };
  const finish = async (runId: string): Promise<View> => {
    let view: View | undefined;
    for (let i = 0; i < 200 && view?.status !== 'SUCCEEDED'; i++) {
      await sleep(50);
      view = (await hub.call('GET', `/v1/flow-runs/${runId}`)).body;
    }
    assert.equal(view?.status, 'SUCCEEDED', JSON.stringify(view));
    assert.equal(view.events[0].type, 'run_resumed', 'this hub claimed the run once its lease ran out');
    return view;
  };
  const [first, second] = await Promise.all([finish(atWork.run_id), finish(atCompute.run_id)]);
  assert.equal(second.output.compute.action_id, submitted.body.task_id, 'the task found by its group, not a new one');
  assert.equal(second.output.compute.details.result, 'done once');
  assert.equal(dispatched.tasks.length, 2, "the second run's task, and the first run's own");
  assert.ok(dispatched.tasks.some((task) => task.task_id === first.output.compute.action_id));
  const stats = await provider.stats();
  assert.equal(stats.run_requests, 2, 'the provider was asked again with the same request id');
  assert.equal(stats.started, 1, 'and started the action once');
});
