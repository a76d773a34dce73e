import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import type { MemoEntry, MemoStore, MemoWrite } from '../src/memo/memo-store.js';
import { MemoryMemoStore } from '../src/memo/memory-memo-store.js';
import { RedisMemoStore } from '../src/memo/redis-memo-store.js';
import { RedisStore } from '../src/store/redis.js';
import { canonicalJson } from '../src/memo/memo-key.js';

const T0 = 1_800_000_000_000;

function write(owner: string, key: string, bytes: number, expiresAt = T0 + 1_000): MemoWrite {
  const entry: MemoEntry = { result: { value: key, data: { 'text/plain': key } }, outputs: [], from: { task_id: `task-${key}`, finished_at: T0 }, expires_at: expiresAt };
  return { owner, key, entry, bytes };
}

/** What both memo stores promise, with the clock given explicitly. */
function contract(name: string, open: () => Promise<MemoStore>): void {
  describe(`${name} memo store`, () => {
    it('gives back what it kept, per user, until it expires', async () => {
      const store = await open();
      assert.deepEqual(await store.put([write('alice', 'k1', 10), write('bob', 'k2', 10)], T0, 100), { stored: 2, evicted: 0 });
      const [alices, none] = await store.get('alice', ['k1', 'k2'], T0 + 999);
      assert.equal(alices?.from.task_id, 'task-k1');
      assert.equal(none, undefined, "bob's key is not alice's");
      assert.deepEqual(await store.get('alice', ['k1'], T0 + 1_000), [undefined], 'expired at expires_at');
      assert.equal(await store.usage('bob', T0), 10);
      assert.equal(await store.usage('bob', T0 + 1_000), 0);
    });

    it('drops the oldest entries to stay within the limit and refuses an entry larger than it', async () => {
      const store = await open();
      await store.put([write('carol', 'a', 40, T0 + 1_000)], T0, 100);
      await store.put([write('carol', 'b', 40, T0 + 2_000)], T0 + 1, 100);
      assert.deepEqual(await store.put([write('carol', 'c', 40, T0 + 3_000)], T0 + 2, 100), { stored: 1, evicted: 1 });
      const got = await store.get('carol', ['a', 'b', 'c'], T0 + 3);
      assert.deepEqual(got.map((entry) => entry?.result.value), [undefined, 'b', 'c']);
      assert.equal(await store.usage('carol', T0 + 3), 80);
      assert.deepEqual(await store.put([write('carol', 'huge', 101)], T0 + 4, 100), { stored: 0, evicted: 0 });
      assert.equal(await store.usage('carol', T0 + 4), 80, 'nothing dropped for an entry that cannot fit');
      await store.put([write('carol', 'b', 30, T0 + 4_000)], T0 + 5, 100);
      assert.equal(await store.usage('carol', T0 + 5), 70, 'a key kept again replaces its entry');
    });
  });
}

contract('embedded', async () => new MemoryMemoStore());

describe('Redis memo store', () => {
  let redis: RedisProcess;
  const stores: RedisStore[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const store of stores) await store.close();
    await cleanup();
  });
  contract('redis', async () => {
    const store = await RedisStore.open({ url: redis.url, prefix: `m${randomUUID()}:` });
    stores.push(store);
    return new RedisMemoStore(store.client, store.keys.prefix);
  });
});

describe('memo keys', () => {
  it('sort object keys at every level and keep array order', () => {
    assert.equal(canonicalJson({ b: [2, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[2,{"c":2,"d":1}]}');
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });
});
