import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointView, TaskOutput, TaskSubmission } from '@funcx/protocol';
import type { TaskWatchHandlers } from '@funcx/client/hub-client';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { CellRunner } from '../src/cell-runner';
import { EndpointsModel } from '../src/models/endpoints-model';
import type { IFuncxService } from '../src/tokens';

const ENDPOINT: EndpointView = {
  endpoint_id: 'e1',
  name: 'local',
  owner: 'alice',
  public: false,
  created_at: 0,
  status: { online: true, workers_total: 1, workers_busy: 0, queued: 0, running: 0, warm_images: [] },
};

/** A hub client whose tasks the test drives: it keeps each watch's handlers to deliver events later. */
function fakeService() {
  const watches = new Map<string, TaskWatchHandlers>();
  const submitted: TaskSubmission[] = [];
  let next = 0;
  const endpoints = new EndpointsModel();
  endpoints.reset([ENDPOINT]);
  endpoints.setUser('alice');
  const service = {
    user: 'alice',
    endpoints,
    tasks: { track: () => undefined },
    client: {
      submitLive: async (tasks: TaskSubmission[]) => {
        submitted.push(...tasks);
        return { batch_id: 'b', task_ids: [`t${++next}`] };
      },
      watchTask: (taskId: string, handlers: TaskWatchHandlers) => {
        watches.set(taskId, handlers);
        return () => undefined;
      },
      cancelTask: async () => undefined,
      getFunction: async () => ({ owner: 'alice' }),
    },
  };
  return { service: service as unknown as IFuncxService, watches, submitted };
}

/** The part of a code cell model the runner touches, recording its outputs. */
function fakeCell() {
  const outputs: unknown[] = [];
  const cell = {
    isDisposed: false,
    trusted: false,
    executionState: 'idle',
    executionCount: null as number | null,
    sharedModel: { transact: (change: () => void) => change() },
    clearExecution: () => (outputs.length = 0),
    outputs: {
      get length() {
        return outputs.length;
      },
      add: (output: unknown) => outputs.push(output),
      clear: () => (outputs.length = 0),
    },
  };
  return { cell: cell as unknown as ICodeCellModel & { trusted: boolean }, outputs };
}

const stdout = (text: string): TaskOutput => ({ output_type: 'stream', name: 'stdout', text });
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('the cell runner', () => {
  it("writes nothing of an earlier run into the cell once the cell was run again, even the earlier run's late output", async () => {
    const { service, watches } = fakeService();
    const { cell, outputs } = fakeCell();
    const runner = new CellRunner(service);
    const first = runner.run({ cell, notebook: null, submission: { source: 'print(1)' }, endpoint: 'local' });
    await settle();
    watches.get('t1')!.onOutput!(stdout('first run\n'), 't1');
    await settle();
    assert.deepEqual(outputs.map((output) => (output as { text?: string }).text), ['first run\n']);

    const second = runner.run({ cell, notebook: null, submission: { source: 'print(2)' }, endpoint: 'local' });
    await settle();
    watches.get('t1')!.onOutput!(stdout('late output of the first run\n'), 't1');
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', state: 'cancelled', timestamps: {} });
    watches.get('t2')!.onOutput!(stdout('second run\n'), 't2');
    watches.get('t2')!.onFinal!({ type: 'final', task_id: 't2', state: 'success', timestamps: {}, result: { value: null, data: { 'text/plain': 'None' } } });
    assert.equal(await first, false);
    assert.equal(await second, true);
    const texts = outputs.map((output) => (output as { text?: string }).text).filter(Boolean);
    assert.deepEqual(texts, ['second run\n']);
    assert.equal(cell.executionCount, 1);
  });

  it('marks outputs trusted only for your own code on your own endpoint', async () => {
    const { service, watches } = fakeService();
    const runner = new CellRunner(service);
    const own = fakeCell();
    const running = runner.run({ cell: own.cell, notebook: null, submission: { source: 'x' }, endpoint: 'local' });
    await settle();
    assert.equal(own.cell.trusted, true);
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', state: 'success', timestamps: {} });
    await running;

    service.endpoints.update([{ ...ENDPOINT, endpoint_id: 'e2', owner: 'bob', public: true }]);
    const shared = fakeCell();
    const elsewhere = runner.run({ cell: shared.cell, notebook: null, submission: { source: 'x' }, endpoint: 'e2' });
    await settle();
    assert.equal(shared.cell.trusted, false, "bob's endpoint could send anything");
    watches.get('t2')!.onFinal!({ type: 'final', task_id: 't2', state: 'success', timestamps: {} });
    await elsewhere;
  });

  it('sends a cell for a group or several endpoints as written, for the hub to route, and renders it untrusted', async () => {
    const { service, watches, submitted } = fakeService();
    const runner = new CellRunner(service);
    const grouped = fakeCell();
    const toGroup = runner.run({ cell: grouped.cell, notebook: null, submission: { source: 'x', policy: 'round-robin' }, endpoint: 'group:pair' });
    await settle();
    assert.deepEqual(submitted[0], { source: 'x', policy: 'round-robin', endpoint: 'group:pair' }, 'no endpoint was looked up');
    assert.equal(grouped.cell.trusted, false, 'where it runs is chosen at the hub');
    assert.equal(runner.lastEndpoint, 'group:pair');
    watches.get('t1')!.onOutput!(stdout('routed\n'), 't1');
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', endpoint_id: 'e1', state: 'success', timestamps: {} });
    assert.equal(await toGroup, true);
    assert.equal((grouped.outputs[0] as { text?: string }).text, 'routed\n');

    const listed = fakeCell();
    const toList = runner.run({ cell: listed.cell, notebook: null, submission: { source: 'x' }, endpoint: 'local,bob/cluster' });
    await settle();
    assert.deepEqual(submitted[1].endpoint, ['local', 'bob/cluster']);
    watches.get('t2')!.onFinal!({ type: 'final', task_id: 't2', state: 'success', timestamps: {} });
    await toList;
  });
});
