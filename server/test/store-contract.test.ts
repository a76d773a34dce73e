import { randomUUID } from 'node:crypto';
import { after } from 'node:test';
import { cleanup, makeTempDir, startRedis, type RedisProcess } from '@funcx/testing';
import { MemoryStore } from '../src/store/memory.js';
import { RedisStore } from '../src/store/redis.js';
import { storeContract } from './store-contract.js';

// The same suite against the embedded store (in memory, and persisted in a directory) and a real redis-server.

storeContract('memory', () => MemoryStore.open());

storeContract('memory with a data dir', () => MemoryStore.open({ dataDir: makeTempDir('funcx-store-') }));

let redis: Promise<RedisProcess> | undefined;
const redisServer = () => (redis ??= startRedis());
after(cleanup);

storeContract(
  'redis',
  async () => RedisStore.open({ url: (await redisServer()).url, prefix: `t${randomUUID()}:` }),
  async (first) => RedisStore.open({ url: (await redisServer()).url, prefix: (first as RedisStore).keys.prefix }),
);
