import { script } from './redis-scripts.js';

/**
 * Lua scripts of the Redis store's flows. A run's lease is its entry in the leases sorted set (score: when it
 * runs out, by Redis's own clock, so hubs whose clocks differ agree) and its holder in the holders hash; only
 * the holder's commits are applied, each commit whole.
 */

/**
 * KEYS = run, threads hash, events list, owner's run index, leases, holders. ARGV[1] = run id, ARGV[2] = hub id,
 * ARGV[3] = lease ms, ARGV[4] = creation time (the index's score), ARGV[5] = run JSON, ARGV[6] = thread count,
 * then id and JSON of each thread, then the events' JSON.
 */
export const CREATE_RUN = script(`
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('SET', KEYS[1], ARGV[5])
local threads = tonumber(ARGV[6])
for i = 0, threads - 1 do redis.call('HSET', KEYS[2], ARGV[7 + i * 2], ARGV[8 + i * 2]) end
for i = 7 + threads * 2, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[5], ms + tonumber(ARGV[3]), ARGV[1])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[2])
return 1
`);

/**
 * KEYS = run, threads hash, events list, leases, holders, requests. ARGV[1] = run id, ARGV[2] = hub id,
 * ARGV[3] = run JSON or "", ARGV[4] = "1" when the run is now final, ARGV[5] = retention ms of a final run
 * (0 keeps it), ARGV[6] = threads written, then id and JSON of each, then the count of threads removed and their
 * ids, then the events' JSON. Returns 0 (nothing done) unless the hub holds the run's lease.
 */
export const COMMIT_RUN = script(`
local run = ARGV[1]
if redis.call('HGET', KEYS[5], run) ~= ARGV[2] or not redis.call('ZSCORE', KEYS[4], run) then return 0 end
local at = 7
local written = tonumber(ARGV[6])
for i = 0, written - 1 do redis.call('HSET', KEYS[2], ARGV[at + i * 2], ARGV[at + i * 2 + 1]) end
at = at + written * 2
local removed = tonumber(ARGV[at])
for i = 1, removed do redis.call('HDEL', KEYS[2], ARGV[at + i]) end
at = at + removed + 1
for i = at, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[i]) end
if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[3]) end
if ARGV[4] == '1' then
  redis.call('ZREM', KEYS[4], run)
  redis.call('HDEL', KEYS[5], run)
  redis.call('HDEL', KEYS[6], run)
  redis.call('DEL', KEYS[2])
  local retention = tonumber(ARGV[5])
  if retention > 0 then
    redis.call('PEXPIRE', KEYS[1], retention)
    redis.call('PEXPIRE', KEYS[3], retention)
  end
end
return 1
`);

/** KEYS = leases, holders. ARGV = hub id, lease ms, most runs. Leases runs whose lease ran out; returns their ids. */
export const CLAIM_RUNS = script(`
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms, 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[2]), id)
  redis.call('HSET', KEYS[2], id, ARGV[1])
end
return ids
`);

/**
 * KEYS = leases, holders, requests. ARGV = hub id, lease ms, then run ids. Extends the leases the hub holds.
 * Returns {lost ids, {id, request, ...}}; pokes are forgotten once read, a cancel stays until the run ends.
 */
export const RENEW_RUNS = script(`
local now = redis.call('TIME')
local until_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + tonumber(ARGV[2])
local lost = {}
local requests = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[1] and redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], until_ms, id)
    local request = redis.call('HGET', KEYS[3], id)
    if request then
      requests[#requests + 1] = id
      requests[#requests + 1] = request
      if request == 'poke' then redis.call('HDEL', KEYS[3], id) end
    end
  else
    lost[#lost + 1] = id
  end
end
return {lost, requests}
`);

/** KEYS = leases, holders. ARGV = hub id, then run ids. Ends the hub's leases now, so another hub claims them. */
export const RELEASE_RUNS = script(`
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[1] then
    redis.call('HDEL', KEYS[2], id)
    if redis.call('ZSCORE', KEYS[1], id) then redis.call('ZADD', KEYS[1], 0, id) end
  end
end
return 1
`);

/** KEYS = leases, requests. ARGV = run id, request. Only for ACTIVE runs; a cancel is not replaced by a poke. */
export const REQUEST_RUN = script(`
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
if ARGV[2] == 'poke' and redis.call('HGET', KEYS[2], ARGV[1]) == 'cancel' then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`);

/**
 * KEYS = triggers hash, next-fire hash, last-fired hash. ARGV = trigger id, fired at, expected next fire ("" for
 * none), next fire. Records the firing if the trigger exists and (for a schedule) is still due at the expected time.
 */
export const FIRE_TRIGGER = script(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[3] ~= '' then
  if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[3] then return 0 end
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
return 1
`);
