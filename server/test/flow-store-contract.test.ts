import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { cleanup, makeTempDir, startRedis, type RedisProcess } from '@funcx/testing';
import { MemoryStore } from '../src/store/memory.js';
import { RedisStore } from '../src/store/redis.js';
import { flowStoreContract } from './flow-store-contract.js';

// The flows part of the store, the same suite against the embedded store (in memory, and persisted in a
// directory) and a real redis-server.

flowStoreContract('memory', () => MemoryStore.open());

const dirs = new WeakMap<object, string>();
flowStoreContract(
  'memory with a data dir',
  async () => {
    const dir = makeTempDir('funcx-flow-store-');
    const store = await MemoryStore.open({ dataDir: dir });
    dirs.set(store, dir);
    return store;
  },
  { reopen: async (first) => MemoryStore.open({ dataDir: dirs.get(first)! }) },
);

let redis: Promise<RedisProcess> | undefined;
const redisServer = () => (redis ??= startRedis());
after(cleanup);

const sameRedis = async (first: unknown) => RedisStore.open({ url: (await redisServer()).url, prefix: (first as RedisStore).keys.prefix });
flowStoreContract('redis', async () => RedisStore.open({ url: (await redisServer()).url, prefix: `f${randomUUID()}:` }), { second: sameRedis, reopen: sameRedis });
