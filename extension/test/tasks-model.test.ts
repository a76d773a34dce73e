import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskEvent } from '@funcx/protocol';
import { TasksModel, type TaskActivity } from '../src/models/tasks-model';

const ENDPOINT = 'ep-1';

function watch(model: TasksModel): TaskActivity[] {
  const seen: TaskActivity[] = [];
  model.activity.connect((_, activity) => seen.push(activity));
  return seen;
}

/** The events of a task that ran and succeeded, as one `task:events` batch brings them. */
function fastTask(taskId: string, endpointId?: string): TaskEvent[] {
  const placed = endpointId ? { endpoint_id: endpointId } : {};
  return [
    { type: 'state', task_id: taskId, ...placed, state: 'waiting-for-endpoint', timestamps: { received: 1, 'waiting-for-endpoint': 1 } },
    { type: 'state', task_id: taskId, ...placed, state: 'running', timestamps: { running: 2 } },
    { type: 'output', task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: 'hi\n' } },
    { type: 'final', task_id: taskId, ...placed, state: 'success', timestamps: { success: 3 } }
  ];
}

describe('task activity (the map pulses)', () => {
  it('a fast task whose events arrive before its submit ack pulses its endpoint when it starts and ends', () => {
    const model = new TasksModel();
    const seen = watch(model);
    model.handleEvents(fastTask('t1', ENDPOINT));
    model.track('t1', { endpoint_id: ENDPOINT, label: 'cell [1]' });
    assert.deepEqual(seen, [
      { endpoint_id: ENDPOINT, task_id: 't1', kind: 'started' },
      { endpoint_id: ENDPOINT, task_id: 't1', kind: 'finished' }
    ]);
    assert.equal(model.get('t1')?.state, 'success');
  });

  it('events that do not name the endpoint pulse once track() records it', () => {
    const model = new TasksModel();
    const seen = watch(model);
    model.handleEvents(fastTask('t1'));
    assert.equal(seen.length, 0);
    model.track('t1', { endpoint_id: ENDPOINT });
    assert.deepEqual(
      seen.map(activity => activity.kind),
      ['started', 'finished']
    );
  });

  it('a task tracked before its events pulses as it runs, not at submission', () => {
    const model = new TasksModel();
    const seen = watch(model);
    model.track('t1', { endpoint_id: ENDPOINT });
    const [waiting, running, , final] = fastTask('t1');
    model.handleEvents([waiting]);
    assert.equal(seen.length, 0);
    model.handleEvents([running]);
    assert.deepEqual(seen.map(activity => activity.kind), ['started']);
    model.handleEvents([final]);
    assert.deepEqual(seen.map(activity => activity.kind), ['started', 'finished']);
  });

  it('a task cancelled before it ran does not pulse', () => {
    const model = new TasksModel();
    const seen = watch(model);
    model.handleEvents([
      { type: 'state', task_id: 't1', endpoint_id: ENDPOINT, state: 'waiting-for-endpoint', timestamps: { received: 1 } },
      { type: 'final', task_id: 't1', endpoint_id: ENDPOINT, state: 'cancelled', timestamps: { cancelled: 2 } }
    ]);
    assert.equal(seen.length, 0);
    assert.equal(model.get('t1')?.state, 'cancelled');
  });

  it('events seen twice (a replay after reconnecting) do not pulse twice', () => {
    const model = new TasksModel();
    const seen = watch(model);
    model.handleEvents(fastTask('t1', ENDPOINT));
    model.handleEvents(fastTask('t1', ENDPOINT));
    model.track('t1', { endpoint_id: ENDPOINT });
    assert.equal(seen.length, 2);
  });
});

describe('the latest tasks', () => {
  it('a late state event does not move a finished task back', () => {
    const model = new TasksModel();
    const [waiting, running, , final] = fastTask('t1', ENDPOINT);
    model.handleEvents([waiting, final, running]);
    assert.equal(model.get('t1')?.state, 'success');
  });

  it('time spent per state is listed in the order of the states', () => {
    const model = new TasksModel();
    model.handleEvents(fastTask('t1', ENDPOINT));
    const task = model.get('t1')!;
    assert.deepEqual(TasksModel.breakdown(task), [
      { state: 'received', at: 1, spent: 0 },
      { state: 'waiting-for-endpoint', at: 1, spent: 1 },
      { state: 'running', at: 2, spent: 1 },
      { state: 'success', at: 3, spent: undefined }
    ]);
    assert.equal(TasksModel.duration(task), 2);
  });
});

describe('the recent tasks the hub lists when the page opens', () => {
  it('appear below the tasks this page runs, and their past is not announced as activity', () => {
    const model = new TasksModel(5);
    const seen = watch(model);
    model.handleEvents(fastTask('live', ENDPOINT));
    const before = seen.length;
    model.seed([
      { task_id: 'older', function_id: 'f', endpoint_id: ENDPOINT, owner: 'alice', state: 'success', timestamps: { received: 1, running: 2, success: 3 }, attempts: 1 },
      { task_id: 'oldest', function_id: 'f', endpoint_id: ENDPOINT, owner: 'alice', state: 'failed', timestamps: { received: 0, failed: 1 }, attempts: 1 },
      { task_id: 'live', function_id: 'f', endpoint_id: ENDPOINT, owner: 'alice', state: 'success', timestamps: { received: 4 }, attempts: 1 },
    ]);
    assert.deepEqual(model.tasks.map((task) => task.task_id), ['live', 'older', 'oldest']);
    assert.equal(seen.length, before, 'no activity for history');
    model.handleEvents([{ type: 'final', task_id: 'older', endpoint_id: ENDPOINT, state: 'success', timestamps: {} }]);
    assert.equal(seen.length, before, 'nor for a late event of a task already finished');
  });
});

describe('where a routed task went and why', () => {
  const routing = { policy: 'least-loaded' as const, reason: 'least loaded: 0 of 2 workers busy, 0 queued', candidates: ['ep-1', 'ep-2'], group: 'group:pair' };

  it('the first event of a routed task gives its endpoint and routing, which tracking it later keeps', () => {
    const model = new TasksModel();
    const [first, ...rest] = fastTask('t1', ENDPOINT);
    model.handleEvents([{ ...first, routing } as TaskEvent, ...rest]);
    model.track('t1', { label: 'print(1)' });
    const task = model.get('t1')!;
    assert.deepEqual(task.routing, routing);
    assert.equal(task.endpoint_id, ENDPOINT);
    assert.equal(task.label, 'print(1)');
  });

  it('the recent tasks listed when the page opens keep their routing', () => {
    const model = new TasksModel();
    model.seed([{ task_id: 'r', function_id: 'f', endpoint_id: ENDPOINT, owner: 'alice', state: 'success', timestamps: { received: 1, success: 2 }, attempts: 1, routing }]);
    assert.deepEqual(model.get('r')?.routing, routing);
  });
});
