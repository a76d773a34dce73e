import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointView, TaskOutput, TaskSubmission } from '@funcx/protocol';
import type { TaskWatchHandlers } from '@funcx/client/hub-client';
import type { ICodeCellModel } from '@jupyterlab/cells';
import { Signal } from '@lumino/signaling';
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
  const connectionChanged = new Signal<unknown, string>({});
  const service = {
    user: 'alice',
    endpoints,
    connectionState: 'connected',
    connectionChanged,
    disconnectedSince: null as number | null,
    tasks: { track: () => undefined, get: () => undefined },
    client: {
      getTask: async () => {
        throw new Error('not at this hub');
      },
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
  /** Moves the connection to `state`, as the service does when the hub goes away or comes back. */
  const setConnection = (state: 'connected' | 'disconnected') => {
    service.connectionState = state;
    service.disconnectedSince = state === 'connected' ? null : Date.now();
    connectionChanged.emit(state);
  };
  return { service: service as unknown as IFuncxService, watches, submitted, setConnection };
}

/** The part of a code cell model the runner touches, recording its outputs. */
function fakeCell() {
  const outputs: unknown[] = [];
  const metadata: Record<string, unknown> = {};
  const cell = {
    id: 'cell-1',
    isDisposed: false,
    getMetadata: (key: string) => metadata[key],
    setMetadata: (key: string, value: unknown) => (metadata[key] = value),
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
  return { cell: cell as unknown as ICodeCellModel & { trusted: boolean }, outputs, metadata };
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

  /** A task that prints, is handed out again, then prints and ends: the texts in the cell and its run record. */
  async function twoAttempts(secondReportsRunning: boolean) {
    const { service, watches } = fakeService();
    const { cell, outputs } = fakeCell();
    const runner = new CellRunner(service);
    const running = runner.run({ cell, notebook: null, submission: { source: 'x' }, endpoint: 'local' });
    await settle();
    const task = watches.get('t1')!;
    task.onState!({ type: 'state', task_id: 't1', state: 'running', timestamps: {} });
    task.onOutput!(stdout('first attempt\n'), 't1');
    await settle();
    task.onState!({ type: 'state', task_id: 't1', state: 'waiting-for-endpoint', timestamps: {} });
    if (secondReportsRunning) task.onState!({ type: 'state', task_id: 't1', state: 'running', timestamps: {} });
    task.onOutput!(stdout('second attempt\n'), 't1');
    task.onFinal!({ type: 'final', task_id: 't1', state: 'success', timestamps: {} });
    assert.equal(await running, true);
    const texts = outputs.map((output) => (output as { text?: string }).text).filter(Boolean);
    return { texts, attempt: (cell.getMetadata('funcx') as { run: { attempt: number } }).run.attempt };
  }
  const SECOND_ATTEMPT = ['Attempt 2 of 3 after the endpoint was lost: the output of attempt 1 was cleared.\n', 'second attempt\n'];

  it('a task handed out again after its endpoint was lost clears the first attempt and says which attempt this is', async () => {
    const { texts, attempt } = await twoAttempts(true);
    assert.deepEqual(texts, SECOND_ATTEMPT);
    assert.equal(attempt, 2);
  });

  it('a quick second attempt, which reports no running state, still clears the first and says which attempt it is', async () => {
    assert.deepEqual((await twoAttempts(false)).texts, SECOND_ATTEMPT);
  });

  it('a run asked for while the hub is unreachable waits with a note, keeping the last outputs, and runs once it is back', async () => {
    const { service, watches, submitted, setConnection } = fakeService();
    const { cell, outputs } = fakeCell();
    outputs.push(stdout('from the last run\n'));
    const runner = new CellRunner(service);
    setConnection('disconnected');
    const running = runner.run({ cell, notebook: null, submission: { source: 'x' }, endpoint: 'local' });
    await settle();
    assert.equal(submitted.length, 0);
    assert.match(runner.noteOf(cell) ?? '', /^Waiting for the hub \(unreachable since .*\): the cell runs once it is back\.$/);
    assert.equal(outputs.length, 1, 'nothing erased while waiting');
    setConnection('connected');
    await settle();
    assert.equal(submitted.length, 1);
    assert.equal(runner.noteOf(cell), null);
    setConnection('disconnected');
    assert.match(runner.noteOf(cell) ?? '', /the task goes on at its endpoint/);
    setConnection('connected');
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', state: 'success', timestamps: {} });
    assert.equal(await running, true);
  });

  it('says once per notebook, and after a NameError, that each cell runs in a fresh namespace', async () => {
    const { service, watches } = fakeService();
    const runner = new CellRunner(service);
    const notebook = { cells: { length: 0 } } as never;
    const notes = (outputs: unknown[]) =>
      outputs.filter((output) => (output as { metadata?: { funcx?: { note?: string } } }).metadata?.funcx?.note === 'fresh-namespace').length;
    const first = fakeCell();
    const one = runner.run({ cell: first.cell, notebook, submission: { source: 'x = 1' }, endpoint: 'local' });
    await settle();
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', state: 'success', timestamps: {} });
    await one;
    assert.equal(notes(first.outputs), 1);
    const second = fakeCell();
    const two = runner.run({ cell: second.cell, notebook, submission: { source: 'x' }, endpoint: 'local' });
    await settle();
    watches.get('t2')!.onFinal!({
      type: 'final', task_id: 't2', state: 'failed', timestamps: {},
      error: { ename: 'NameError', evalue: "name 'x' is not defined", traceback: [] },
    });
    await two;
    assert.equal(notes(second.outputs), 1);
    const third = fakeCell();
    const three = runner.run({ cell: third.cell, notebook, submission: { source: '1' }, endpoint: 'local' });
    await settle();
    watches.get('t3')!.onFinal!({ type: 'final', task_id: 't3', state: 'success', timestamps: {} });
    await three;
    assert.equal(notes(third.outputs), 0);
  });
  it('a cell in a session is never told it runs in a fresh namespace, and its session goes with its task', async () => {
    const { service, watches, submitted } = fakeService();
    const runner = new CellRunner(service);
    const notebook = { cells: { length: 0 } } as never;
    const { cell, outputs } = fakeCell();
    const running = runner.run({ cell, notebook, submission: { source: 'x', session: 'nb' }, endpoint: 'local' });
    await settle();
    watches.get('t1')!.onFinal!({
      type: 'final', task_id: 't1', state: 'failed', timestamps: {},
      error: { ename: 'NameError', evalue: "name 'x' is not defined", traceback: [] },
    });
    await running;
    assert.equal(submitted[0].session, 'nb');
    assert.ok(!outputs.some((output) => (output as { metadata?: { funcx?: { note?: string } } }).metadata?.funcx?.note), 'no note');
  });

  it('a session that restarted says so in the cell, in the line its endpoint sent, before the value', async () => {
    const { service, watches } = fakeService();
    const runner = new CellRunner(service);
    const { cell, outputs } = fakeCell();
    const running = runner.run({ cell, notebook: null, submission: { source: 'x', session: 'nb' }, endpoint: 'local' });
    await settle();
    const line = 'session nb was restarted: the worker that held it exited (signal SIGKILL); earlier variables are gone\n';
    watches.get('t1')!.onOutput!({ output_type: 'stream', name: 'stderr', text: line }, 't1');
    watches.get('t1')!.onFinal!({ type: 'final', task_id: 't1', state: 'success', timestamps: {}, result: { value: 1, data: { 'text/plain': '1' } }, session_restarted: 'the worker that held it exited (signal SIGKILL)' });
    await running;
    assert.deepEqual(outputs.map((output) => (output as { output_type: string }).output_type), ['stream', 'execute_result']);
    assert.equal((outputs[0] as { text: string }).text, line);
  });
});
