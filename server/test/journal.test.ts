import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TaskRecord } from '@funcx/protocol';
import { JournalWriter } from '../src/store/journal.js';
import { MemoryStore } from '../src/store/memory.js';
import { runningTask } from './support/records.js';
import { collect, connectEndpoint, registerEndpoint, startTestHub, tempDir, waitFor } from './support/hub.js';

const MiB = 1024 * 1024;

function task(id: string, outputText = ''): TaskRecord {
  return runningTask({ task_id: id, outputs: outputText ? [{ output_type: 'stream', name: 'stdout', text: outputText }] : [] });
}

describe('the embedded store journal', () => {
  it('writes each output byte once, and nothing more once a task reaches its output limit', async () => {
    const hub = await startTestHub();
    try {
      const endpoint = await registerEndpoint(hub, 'noisy');
      const socket = await connectEndpoint(hub.url, endpoint.endpoint_token);
      const received = collect(socket);
      const taskId = (await hub.call('POST', '/v1/tasks', { source: 'print("x" * 10**9)', endpoint: 'noisy' })).body.task_id;
      await waitFor(() => received.tasks.length === 1);
      const chunk = 'y'.repeat(MiB - 1) + '\n';
      // 30 MiB printed in 1 MiB chunks: the task keeps 10 MiB of it.
      for (let i = 0; i < 30; i++) {
        socket.emit('tasks:output', [{ task_id: taskId, output: { output_type: 'stream', name: 'stdout', text: chunk } }]);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await waitFor(() => statSync(join(hub.dataDir, 'journal.jsonl')).size > 10 * MiB - MiB, 10_000, 'outputs journaled');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const journalBytes = statSync(join(hub.dataDir, 'journal.jsonl')).size;
      assert.ok(journalBytes < 11 * MiB, `the journal holds ${journalBytes} bytes for 10 MiB of kept output`);
      const stored = (await hub.call('GET', `/v1/tasks/${taskId}`)).body as TaskRecord;
      const text = stored.outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
      assert.ok(text.includes('further output was dropped'));
      socket.disconnect();
      await hub.stop();

      const again = await startTestHub({ dir: hub.dir });
      try {
        const replayed = (await again.call('GET', `/v1/tasks/${taskId}`)).body as TaskRecord;
        assert.deepEqual(replayed.outputs, stored.outputs, 'the appended pieces replay into the same outputs');
      } finally {
        await again.stop();
      }
    } finally {
      await hub.cleanup();
    }
  });

  it('compacts into a new snapshot while the hub runs, and a restart finds every task', async () => {
    const hub = await startTestHub({ compactAfterBytes: 64 * 1024 });
    try {
      const endpoint = await registerEndpoint(hub, 'busy');
      const socket = await connectEndpoint(hub.url, endpoint.endpoint_token);
      const received = collect(socket);
      const ids: string[] = [];
      for (let round = 0; round < 10; round++) {
        const tasks = Array.from({ length: 50 }, (_, i) => ({ source: `${round * 50 + i}`, endpoint: 'busy' }));
        ids.push(...(await hub.call('POST', '/v1/tasks/batch', { tasks })).body.task_ids);
      }
      await waitFor(() => received.tasks.length === ids.length, 10_000, 'dispatch');
      for (const id of ids.slice(0, 400)) {
        socket.emit('tasks:output', [{ task_id: id, output: { output_type: 'stream', name: 'stdout', text: `out ${id}\n` } }]);
      }
      const done = ids.slice(0, 300).map((id) => ({ task_id: id, state: 'success' as const, timestamps: {}, result: { value: 1, data: { 'text/plain': '1' } } }));
      const ack = await socket.timeout(5000).emitWithAck('tasks:done', done);
      assert.ok(!('error' in ack));
      socket.emit('tasks:output', [{ task_id: ids[350], output: { output_type: 'stream', name: 'stdout', text: 'after\n' } }]);
      await waitFor(() => {
        const store = hub.running.hub.store as MemoryStore;
        return store.compactions > 0;
      }, 5000, 'a compaction');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const header = JSON.parse(readFileSync(join(hub.dataDir, 'journal.jsonl'), 'utf8').split('\n')[0]);
      assert.ok(header.k === 'gen' && header.n > 1, 'the journal was started afresh after the first snapshot');
      socket.disconnect();
      await hub.stop();

      const again = await startTestHub({ dir: hub.dir });
      try {
        const first = (await again.call('GET', `/v1/tasks/${ids[0]}`)).body as TaskRecord;
        assert.equal(first.state, 'success');
        assert.equal((first.outputs[0] as { text: string }).text, `out ${ids[0]}\n`);
        const later = (await again.call('GET', `/v1/tasks/${ids[350]}`)).body as TaskRecord;
        assert.equal((later.outputs[0] as { text: string }).text, `out ${ids[350]}\nafter\n`);
        const last = (await again.call('GET', `/v1/tasks/${ids[499]}`)).body as TaskRecord;
        assert.notEqual(last.state, 'success');
      } finally {
        await again.stop();
      }
    } finally {
      await hub.cleanup();
    }
  });

  it('starts again from a journal larger than the longest string Node can hold', async () => {
    const dir = tempDir();
    const journal = join(dir, 'journal.jsonl');
    const fd = openSync(journal, 'w');
    const text = 'z'.repeat(10 * MiB);
    const count = 55; // 550 MiB, past V8's 512 MiB string limit
    for (let i = 0; i < count; i++) {
      writeSync(fd, JSON.stringify({ k: 'task', v: task(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, text) }) + '\n');
    }
    closeSync(fd);
    assert.ok(statSync(journal).size > 0x1fffffe8);
    const store = await MemoryStore.open({ dataDir: dir });
    try {
      const tasks = await store.getTasks([`00000000-0000-4000-8000-${'0'.repeat(12)}`, `00000000-0000-4000-8000-${String(count - 1).padStart(12, '0')}`]);
      assert.equal(tasks.filter(Boolean).length, 2);
      assert.equal((tasks[1]!.outputs[0] as { text: string }).text.length, 10 * MiB);
    } finally {
      await store.close();
    }
  });

  it('ignores a journal older than its snapshot (a compaction stopped between its renames)', async () => {
    const dir = tempDir();
    const id = '00000000-0000-4000-8000-000000000009';
    const finished = { ...task(id), state: 'success' as const };
    writeFileSync(join(dir, 'snapshot.jsonl'), [{ k: 'gen', n: 4 }, { k: 'task', v: finished }].map((line) => JSON.stringify(line) + '\n').join(''));
    writeFileSync(join(dir, 'journal.jsonl'), [{ k: 'gen', n: 3 }, { k: 'task', v: task(id) }].map((line) => JSON.stringify(line) + '\n').join(''));
    const warnings: string[] = [];
    const store = await MemoryStore.open({ dataDir: dir, onWarning: (message) => warnings.push(message) });
    try {
      assert.equal((await store.getTasks([id]))[0]?.state, 'success');
      assert.ok(warnings.some((warning) => warning.includes('generation 3')));
      assert.match(readFileSync(join(dir, 'snapshot.jsonl'), 'utf8'), /"k":"gen","n":5/);
    } finally {
      await store.close();
    }
  });

  it('hands out a task submitted in the same turn only once its record is on file', async () => {
    const dir = tempDir();
    const store = await MemoryStore.open({ dataDir: dir });
    try {
      const id = '00000000-0000-4000-8000-00000000000c';
      const written = store.putTasks([{ ...task(id), state: 'waiting-for-endpoint', endpoint_id: 'ep' }]);
      const queued = store.enqueue('ep', [id]);
      const taken = await store.take('ep', 10);
      const onFile = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
      assert.deepEqual(taken, [id]);
      assert.ok(onFile.includes(`"task_id":"${id}"`), 'the task record is in the journal when the take resolves');
      assert.ok(onFile.includes('"k":"enq"'), 'and so is its queue entry');
      await Promise.all([written, queued]);
    } finally {
      await store.close();
    }
  });

  it('reports a record it cannot serialise and goes on writing the others', async () => {
    const dir = tempDir();
    const file = join(dir, 'journal.jsonl');
    const errors: Error[] = [];
    const writer = new JournalWriter(openSync(file, 'w'), (error) => errors.push(error));
    const bad = task('00000000-0000-4000-8000-00000000000a');
    (bad as unknown as { kwargs: Record<string, unknown> }).kwargs.self = bad;
    writer.markTask(bad, true);
    writer.markTask(task('00000000-0000-4000-8000-00000000000b'), true);
    await writer.flushed();
    await writer.close();
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /00000000a could not be written/);
    assert.match(readFileSync(file, 'utf8'), /00000000000b/);
  });
});
