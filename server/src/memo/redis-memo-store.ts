import type { RedisClientType } from 'redis';
import { ScriptRunner } from '../store/redis-client.js';
import { script } from '../store/redis-scripts.js';
import type { MemoEntry, MemoPutOutcome, MemoStore, MemoWrite } from './memo-store.js';

/**
 * Redis frees an entry this long after the hub stops using it: expiry is decided by the hub's clock (stored in
 * the entry), Redis's own only collects the garbage, so hubs whose clocks differ a little still agree.
 */
const REDIS_EXPIRY_MARGIN_MS = 60_000;

/**
 * KEYS[1] = the owner's sorted set (member: memo key, score: expires_at), KEYS[2] = the owner's hash of sizes
 * (field "#total": their sum). ARGV[1] = now, ARGV[2] = the owner's byte limit, ARGV[3] = prefix of value keys,
 * ARGV[4] = Redis expiry (ms) of the bookkeeping, then per entry: key, bytes, expires_at, Redis expiry (ms),
 * entry JSON. Drops expired entries, then for each new entry the oldest ones until it fits. Returns
 * {stored, evicted}.
 */
const PUT_MEMO = script(`
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local vp = ARGV[3]
local stored, evicted = 0, 0
local function drop(member)
  local b = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('HDEL', KEYS[2], member)
  redis.call('HINCRBY', KEYS[2], '#total', -b)
  redis.call('ZREM', KEYS[1], member)
  redis.call('DEL', vp .. member)
end
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do drop(member) end
for i = 5, #ARGV, 5 do
  local key, bytes = ARGV[i], tonumber(ARGV[i + 1])
  if bytes <= cap then
    if redis.call('HEXISTS', KEYS[2], key) == 1 then drop(key) end
    local total = tonumber(redis.call('HGET', KEYS[2], '#total') or '0')
    while total + bytes > cap do
      local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
      if not oldest then break end
      drop(oldest)
      evicted = evicted + 1
      total = tonumber(redis.call('HGET', KEYS[2], '#total') or '0')
    end
    redis.call('SET', vp .. key, ARGV[i + 4], 'PX', ARGV[i + 3])
    redis.call('ZADD', KEYS[1], ARGV[i + 2], key)
    redis.call('HSET', KEYS[2], key, bytes)
    redis.call('HINCRBY', KEYS[2], '#total', bytes)
    stored = stored + 1
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {stored, evicted}
`);

/** Memoized results on Redis, shared by every hub on the same database (keys under `PREFIXmemo:`). */
export class RedisMemoStore implements MemoStore {
  private readonly scripts: ScriptRunner;

  constructor(
    private readonly client: RedisClientType,
    private readonly prefix: string,
  ) {
    this.scripts = new ScriptRunner(client);
  }

  private valuePrefix(owner: string): string {
    return `${this.prefix}memo:v:${owner}:`;
  }

  async get(owner: string, keys: string[], now: number): Promise<(MemoEntry | undefined)[]> {
    if (keys.length === 0) return [];
    const prefix = this.valuePrefix(owner);
    const values = await this.client.mGet(keys.map((key) => prefix + key));
    return values.map((value) => {
      if (value === null) return undefined;
      const entry = JSON.parse(value) as MemoEntry;
      return entry.expires_at > now ? entry : undefined;
    });
  }

  async put(writes: MemoWrite[], now: number, userBytes: number): Promise<MemoPutOutcome> {
    const byOwner = new Map<string, MemoWrite[]>();
    for (const write of writes) {
      let list = byOwner.get(write.owner);
      if (!list) byOwner.set(write.owner, (list = []));
      list.push(write);
    }
    const replies = await Promise.all(
      [...byOwner].map(([owner, list]) => {
        let longest = 0;
        const args = [String(now), String(userBytes), this.valuePrefix(owner), ''];
        for (const write of list) {
          const expiry = Math.max(1, Math.ceil(write.entry.expires_at - now)) + REDIS_EXPIRY_MARGIN_MS;
          longest = Math.max(longest, expiry);
          args.push(write.key, String(write.bytes), String(write.entry.expires_at), String(expiry), JSON.stringify(write.entry));
        }
        args[3] = String(longest);
        return this.scripts.run(PUT_MEMO, [`${this.prefix}memo:z:${owner}`, `${this.prefix}memo:s:${owner}`], args) as Promise<[number, number]>;
      }),
    );
    return replies.reduce((sum, [stored, evicted]) => ({ stored: sum.stored + stored, evicted: sum.evicted + evicted }), { stored: 0, evicted: 0 });
  }

  async usage(owner: string, now: number): Promise<number> {
    const live = await this.client.zRangeByScore(`${this.prefix}memo:z:${owner}`, `(${now}`, '+inf');
    if (live.length === 0) return 0;
    const sizes = await this.client.hmGet(`${this.prefix}memo:s:${owner}`, live);
    return sizes.reduce((sum, size) => sum + Number(size ?? 0), 0);
  }
}
