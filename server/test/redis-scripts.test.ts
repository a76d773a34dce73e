import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { cleanup, startRedis, type RedisProcess } from '@funcx/testing';
import { createRedisClient, ScriptRunner } from '../src/store/redis-client.js';
import { script } from '../src/store/redis-scripts.js';
import { RoundTrips } from '../src/store/round-trips.js';

const INCR = script(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);
const FAIL_AFTER_WRITE = script(`redis.call('SET', KEYS[1], 'written')\nreturn redis.call('INCR', KEYS[2])`);
const NOTHING = script(`redis.call('SET', KEYS[1], ARGV[1])`);

describe("the Redis store's scripts of one turn", () => {
  let redis: RedisProcess;
  before(async () => {
    redis = await startRedis();
  });
  after(cleanup);

  it('go out as one script in one round trip; each caller gets its own reply or error, in order', async () => {
    const client = createRedisClient(redis.url);
    await client.connect();
    try {
      const roundTrips = new RoundTrips();
      const runner = new ScriptRunner(client as never, roundTrips);
      const p = `s${randomUUID()}:`;
      await client.set(`${p}text`, 'not a number');
      const replies = await Promise.allSettled([
        runner.run(INCR, [`${p}a`], ['2']),
        runner.run(FAIL_AFTER_WRITE, [`${p}b`, `${p}text`], []),
        runner.run(INCR, [`${p}a`], ['5']),
        runner.run(NOTHING, [`${p}c`], ['set']),
      ]);
      assert.deepEqual(replies.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.equal((replies[0] as PromiseFulfilledResult<unknown>).value, 2);
      assert.equal((replies[2] as PromiseFulfilledResult<unknown>).value, 7, 'the runs go in the order called');
      assert.equal((replies[3] as PromiseFulfilledResult<unknown>).value, null, 'a script that returns nothing gives null');
      assert.match(String((replies[1] as PromiseRejectedResult).reason), /not an integer/);
      assert.equal(await client.get(`${p}b`), 'written', 'what a failing run wrote before its error stays, as in a MULTI');
      assert.equal(await client.get(`${p}c`), 'set');
      assert.deepEqual(Object.fromEntries(roundTrips.counts), { 'scripts in one transaction': 1 });
    } finally {
      await client.quit();
    }
  });

  it('run once by their source when Redis has forgotten them (a restart), and not twice', async () => {
    const client = createRedisClient(redis.url);
    await client.connect();
    try {
      const runner = new ScriptRunner(client as never);
      const p = `f${randomUUID()}:`;
      await Promise.all([runner.run(INCR, [`${p}a`], ['1']), runner.run(INCR, [`${p}b`], ['1'])]);
      await client.scriptFlush();
      const again = await Promise.all([runner.run(INCR, [`${p}a`], ['1']), runner.run(INCR, [`${p}b`], ['1'])]);
      assert.deepEqual(again, [2, 2]);
      assert.deepEqual(await runner.run(INCR, [`${p}a`], ['1']), 3);
    } finally {
      await client.quit();
    }
  });
});
