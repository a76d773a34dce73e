import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskRecord } from '@funcx/protocol';
import type { Store } from '../src/store/store.js';
import { HotRecords } from '../src/tasks/held-records.js';
import { task } from './store-contract.js';

/** A store of records (copies in and out, as Redis) that counts reads and can be made to fail writes. */
class CopyingStore {
  readonly tasks = new Map<string, string>();
  reads = 0;
  failWrites = false;

  async getTasks(ids: string[]): Promise<(TaskRecord | undefined)[]> {
    this.reads++;
    return ids.map((id) => (this.tasks.has(id) ? (JSON.parse(this.tasks.get(id)!) as TaskRecord) : undefined));
  }

  async putTasks(records: TaskRecord[]): Promise<string[]> {
    if (this.failWrites) throw new Error('connection lost');
    const refused: string[] = [];
    for (const record of records) {
      const stored = this.tasks.get(record.task_id);
      if (stored && ['success', 'failed', 'cancelled'].includes((JSON.parse(stored) as TaskRecord).state)) refused.push(record.task_id);
      else this.tasks.set(record.task_id, JSON.stringify(record));
    }
    return refused;
  }
}

function setUp() {
  const store = new CopyingStore();
  const records = new HotRecords(store as unknown as Store);
  records.connected('e1');
  const sent = task('waiting-for-endpoint', { endpoint_id: 'e1' });
  store.tasks.set(sent.task_id, JSON.stringify(sent));
  records.sent([sent]);
  return { store, records, sent };
}

describe('the records an endpoint hub keeps of the tasks it sent', () => {
  it('answers the endpoint reports from what it sent and wrote, without reading the store', async () => {
    const { store, records, sent } = setUp();
    const [read] = await records.read('e1', [sent.task_id]);
    assert.equal(read, sent);
    read!.state = 'running';
    await records.write([read!]);
    assert.equal((await records.read('e1', [sent.task_id]))[0]?.state, 'running');
    assert.equal(store.reads, 0);
  });

  it('drops a record another hub made final: the write is refused and the next read is the store', async () => {
    const { store, records, sent } = setUp();
    store.tasks.set(sent.task_id, JSON.stringify({ ...sent, state: 'cancelled' }));
    const [stale] = await records.read('e1', [sent.task_id]);
    stale!.state = 'running';
    assert.deepEqual(await records.write([stale!]), [sent.task_id]);
    assert.equal((await records.read('e1', [sent.task_id]))[0]?.state, 'cancelled');
    assert.equal(store.reads, 1);
  });

  it('reads again what a failed write left changed, so a result sent again is not taken for a duplicate', async () => {
    const { store, records, sent } = setUp();
    const [read] = await records.read('e1', [sent.task_id]);
    read!.state = 'success';
    store.failWrites = true;
    await assert.rejects(records.write([read!]), /connection lost/);
    store.failWrites = false;
    assert.equal((await records.read('e1', [sent.task_id]))[0]?.state, 'waiting-for-endpoint');
  });

  it('keeps nothing final, nothing of endpoints connected elsewhere, and forgets an endpoint that leaves', async () => {
    const { store, records, sent } = setUp();
    const [read] = await records.read('e1', [sent.task_id]);
    read!.state = 'success';
    await records.write([read!]);
    await records.read('e1', [sent.task_id]);
    assert.equal(store.reads, 1, 'a final record is read from the store');

    const elsewhere = task('waiting-for-endpoint', { endpoint_id: 'e2' });
    store.tasks.set(elsewhere.task_id, JSON.stringify(elsewhere));
    records.sent([elsewhere]);
    await records.read('e2', [elsewhere.task_id]);
    await records.read('e2', [elsewhere.task_id]);
    assert.equal(store.reads, 3, 'an endpoint not connected here is always read from the store');

    const other = task('running', { endpoint_id: 'e1' });
    store.tasks.set(other.task_id, JSON.stringify(other));
    await records.read('e1', [other.task_id]);
    await records.read('e1', [other.task_id]);
    assert.equal(store.reads, 4, 'a record read for a connected endpoint is kept');
    records.disconnected('e1');
    await records.read('e1', [other.task_id]);
    assert.equal(store.reads, 5, 'what was kept of an endpoint that left is read again');
  });

  it('names the tasks queued here, oldest first and each once, so the take does not read their records back', async () => {
    const { store, records } = setUp();
    const queued = Array.from({ length: 5 }, () => task('waiting-for-endpoint', { endpoint_id: 'e1' }));
    records.queued('e1', queued);
    records.queued('e2', [task('waiting-for-endpoint', { endpoint_id: 'e2' })]);
    assert.deepEqual(records.queuedIds('e1', 3), queued.slice(0, 3).map((t) => t.task_id));
    assert.deepEqual(records.queuedIds('e1', 3), queued.slice(3).map((t) => t.task_id));
    assert.deepEqual(records.queuedIds('e1', 3), []);
    assert.deepEqual(records.queuedIds('e2', 3), [], 'nothing is kept for an endpoint connected elsewhere');
    assert.equal((await records.read('e1', [queued[4].task_id]))[0], queued[4]);
    assert.equal(store.reads, 0);
    records.queued('e1', [task('waiting-for-endpoint', { endpoint_id: 'e1' })]);
    records.disconnected('e1');
    assert.deepEqual(records.queuedIds('e1', 3), []);
  });
});
