import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HubClient } from '@funcx/client/hub-client';
import type { TaskRecord } from '@funcx/protocol';
import { FuncxService } from '../src/service';

type Listener = (state: 'disconnected' | 'connecting' | 'connected', error?: Error) => void;

/** A client the test connects and disconnects by hand; its tasks are what the hub has recorded. */
class ScriptedClient {
  connectionState: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  readonly hubUrl = 'http://127.0.0.1:1';
  readonly looked: string[] = [];
  private readonly listeners = new Set<Listener>();
  constructor(readonly records: Map<string, TaskRecord>) {}
  set(state: 'disconnected' | 'connected'): void {
    this.connectionState = state;
    for (const listener of this.listeners) listener(state);
  }
  connect(): Promise<void> {
    return Promise.resolve();
  }
  onConnectionChange(listener: Listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  onEndpointStatus = () => () => undefined;
  onEndpointRemoved = () => () => undefined;
  onTaskEvents = () => () => undefined;
  close(): void {}
  listEndpoints = async () => [];
  listEndpointGroups = async () => [];
  listTasks = async () => ({ tasks: [] });
  whoami = async () => ({ user: 'alice' });
  async getTask(id: string): Promise<TaskRecord> {
    this.looked.push(id);
    const record = this.records.get(id);
    if (!record) throw new Error('unknown task');
    return record;
  }
}

const record = (task_id: string, state: TaskRecord['state']): TaskRecord => ({
  task_id,
  state,
  function_id: 'f',
  endpoint_id: 'e1',
  owner: 'alice',
  args: [],
  kwargs: {},
  attempts: 1,
  outputs: [],
  timestamps: { received: 1, running: 2, ...(state === 'success' ? { success: 3 } : {}) },
});

describe('the task list after the hub comes back', () => {
  it('reads again the state of every unfinished task it shows: one that ended meanwhile is not left running', async () => {
    (globalThis as { window?: unknown }).window = globalThis;
    const records = new Map<string, TaskRecord>();
    let client!: ScriptedClient;
    const service = new FuncxService({ hubUrl: 'http://127.0.0.1:1', token: 't' }, () => (client = new ScriptedClient(records)) as unknown as HubClient);
    service.configure({ hubUrl: 'http://127.0.0.1:2', token: 't' });
    client.set('connected');
    service.tasks.handleEvents([
      { type: 'state', task_id: 'ran', endpoint_id: 'e1', state: 'running', timestamps: { running: 2 } },
      { type: 'state', task_id: 'done', endpoint_id: 'e1', state: 'running', timestamps: { running: 2 } },
      { type: 'final', task_id: 'done', endpoint_id: 'e1', state: 'success', timestamps: { success: 3 } },
    ]);
    client.set('disconnected');
    assert.ok(service.disconnectedSince !== null, 'the outage has a start');
    // The hub restarted; the task finished while this page was not connected, so its final event never came.
    records.set('ran', record('ran', 'success'));
    client.set('connected');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(client.looked, ['ran'], 'only unfinished tasks are read again');
    assert.equal(service.tasks.get('ran')?.state, 'success');
    assert.equal(service.disconnectedSince, null);
    service.dispose();
  });
});
