import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { openStore, storeSpecError } from '../src/store/open-store.js';
import { RedisStore } from '../src/store/redis.js';
import { task } from './store-contract.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis store', () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(cleanup);

  it('forgets finished tasks after the retention time and keeps unfinished ones', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `r${randomUUID()}:`, resultRetentionMs: 200 });
    try {
      const finished = task('success', { result: { value: 1, data: { 'text/plain': '1' } } });
      const waiting = task();
      await store.putTasks([finished, waiting]);
      assert.equal((await store.getTasks([finished.task_id]))[0]?.state, 'success');
      await sleep(400);
      const [gone, kept] = await store.getTasks([finished.task_id, waiting.task_id]);
      assert.equal(gone, undefined);
      assert.equal(kept?.task_id, waiting.task_id);
    } finally {
      await store.close();
    }
  });

  it('writes, queues, takes and finishes 2,500 tasks in one call each (the scripts write ids in runs)', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `r${randomUUID()}:` });
    try {
      const tasks = Array.from({ length: 2_500 }, (_, i) => task('waiting-for-endpoint', { owner: i % 2 === 0 ? 'alice' : 'bob', timestamps: { received: 1_000 + i } }));
      const ids = tasks.map((t) => t.task_id);
      assert.deepEqual(await store.putTasks(tasks), []);
      await store.enqueue('e1', ids);
      assert.equal(await store.queueLength('e1'), 2_500);
      assert.deepEqual(await store.take('e1', 3_000, ids.slice(0, 1_200)), ids, 'in the order they were queued');
      assert.deepEqual(await store.inFlightCounts(['e1']), [2_500]);
      assert.equal((await store.listUnfinishedTasks()).length, 2_500);
      assert.equal((await store.listTasks('bob', { limit: 2_000 })).length, 1_250);
      const finished = tasks.map((t) => ({ ...t, state: 'success' as const }));
      assert.deepEqual(await store.putTasks(finished), []);
      assert.deepEqual(await store.putTasks(tasks.slice(0, 3)), ids.slice(0, 3), 'the first final state wins');
      await store.release('e1', ids);
      assert.deepEqual(await store.inFlightCounts(['e1']), [0]);
      assert.deepEqual(await store.listUnfinishedTasks(), []);
      assert.equal((await store.getTasks([ids[2_499]]))[0]?.attempts, 1);
    } finally {
      await store.close();
    }
  });

  it('takes ids whose records the caller holds without reading them back, and counts their attempts all the same', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `r${randomUUID()}:` });
    try {
      const [held, other] = [task(), task()];
      await store.putTasks([held, other]);
      await store.enqueue('e1', [held.task_id, other.task_id]);
      assert.deepEqual(await store.take('e1', 10, [held.task_id]), [held.task_id, other.task_id]);
      const before = store.roundTrips.counts.get('getTasks') ?? 0;
      assert.equal((await store.getTasks([other.task_id]))[0]?.attempts, 1, 'a record the take read is served from it');
      assert.equal(store.roundTrips.counts.get('getTasks') ?? 0, before);
      const [read] = await store.getTasks([held.task_id]);
      assert.equal(store.roundTrips.counts.get('getTasks'), before + 1, 'a record the caller said it holds was not read by the take');
      assert.equal(read?.attempts, 1);
    } finally {
      await store.close();
    }
  });

  it('never answers a read with the record a take read once the turn of that take is over', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `r${randomUUID()}:` });
    try {
      // A dispatcher that held the record itself (one it kept, but did not name to the take) never asks for it.
      const [unread, written] = [task(), task()];
      await store.putTasks([unread, written]);
      await store.enqueue('e1', [unread.task_id, written.task_id]);
      assert.deepEqual(await store.take('e1', 10), [unread.task_id, written.task_id]);
      await store.putTasks([{ ...written, state: 'success', result: { value: 2, data: { 'text/plain': '2' } } }]);
      assert.equal((await store.getTasks([written.task_id]))[0]?.state, 'success', 'a write after the take is read, in its turn too');
      await new Promise((resolve) => setImmediate(resolve));
      const other = await RedisStore.open({ url: redis.url, prefix: store.keys.prefix });
      await other.putTasks([{ ...unread, state: 'cancelled' }]);
      await other.close();
      assert.equal((await store.getTasks([unread.task_id]))[0]?.state, 'cancelled', "another hub's write, read after the take's turn");
    } finally {
      await store.close();
    }
  });

  it('finds an endpoint written before names were indexed by its name, and indexes it', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `r${randomUUID()}:` });
    try {
      const endpoint = { endpoint_id: randomUUID(), name: 'theta', owner: 'alice', public: false, created_at: 1 };
      await store.client.hSet(store.keys.endpoints, endpoint.endpoint_id, JSON.stringify(endpoint));
      assert.equal(await store.client.hGet(store.keys.endpointNames, 'alice/theta'), null);
      assert.deepEqual(await store.findEndpoint('alice', 'theta'), endpoint);
      assert.equal(await store.client.hGet(store.keys.endpointNames, 'alice/theta'), endpoint.endpoint_id);
      assert.equal(await store.findEndpoint('bob', 'theta'), undefined);
      assert.equal(await store.deleteEndpoint(endpoint.endpoint_id), true);
      assert.equal(await store.client.hGet(store.keys.endpointNames, 'alice/theta'), null, 'the name is freed with the endpoint');
    } finally {
      await store.close();
    }
  });

  it('keeps what it acknowledged across a redis-server crash (append-only file, appendfsync always)', async () => {
    const url = `${redis.url}/3`;
    const store = await RedisStore.open({ url, prefix: 'crash:' });
    await store.client.configSet('appendfsync', 'always');
    const tasks = Array.from({ length: 500 }, () => task());
    await store.putTasks(tasks);
    await store.enqueue('e1', tasks.map((t) => t.task_id));
    const taken = await store.take('e1', 100);
    await redis.kill9();
    await redis.start();
    const [first] = await store.getTasks([taken[0]]);
    assert.equal(first?.attempts, 1, 'the client reconnects by itself and the data is there');
    assert.equal(await store.queueLength('e1'), 400);
    assert.deepEqual((await store.inFlight('e1')).sort(), [...taken].sort());
    await store.close();
  });

  it('explains what to change in a --store value it cannot use', async () => {
    assert.equal(storeSpecError('memory'), undefined);
    assert.equal(storeSpecError('redis://127.0.0.1:6379/2'), undefined);
    assert.match(storeSpecError('redis')!, /--store memory or --store redis:\/\/HOST:PORT\/DB/);
    assert.match(storeSpecError('postgres://db')!, /only redis:\/\//);
    assert.match(storeSpecError('redis://127.0.0.1:6379/x')!, /database after the port must be a number/);
    await assert.rejects(openStore({ store: 'mysql://x' }), /only redis:\/\//);
  });
});
