import { createHash } from 'node:crypto';

/**
 * Lua scripts of the Redis store. Each runs atomically inside Redis, so every hub sharing the Redis sees a
 * queue move, a lease expiry or a final state happen exactly once. Scripts that walk endpoints build key names
 * from the prefix they are given: the store targets one Redis (or a primary with replicas), not a Redis Cluster.
 */
export interface LuaScript {
  source: string;
  sha: string;
}

export function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Lua: calls \`call(...)\` with the values in runs of at most 1,000 (an even number, for score/member pairs): one
 * command for many ids costs Redis far less than one each (the command and its copy in the append-only file),
 * and Lua's stack bounds how many values one call can take.
 */
const IN_RUNS = `
local function in_runs(values, call)
  for s = 1, #values, 1000 do call(unpack(values, s, math.min(s + 999, #values))) end
end
`;

/**
 * KEYS[1] = set of unfinished task ids, KEYS[2..] = task hashes. ARGV[1] = retention of final tasks (ms, 0 keeps
 * them), ARGV[2] = key prefix, then per task: id, "1" when final, "n" when unfinished and new (its id just made,
 * so no hash to look at) else "0", attempts, record JSON, owner, received. A task whose stored hash is already
 * final is left as it is (the first final state wins); a new one joins its owner's index (a sorted set by
 * received time). Returns the 1-based positions of the tasks refused.
 */
export const PUT_TASKS = script(`${IN_RUNS}
local retention = tonumber(ARGV[1])
local prefix = ARGV[2]
local refused, unfinished, finished, indexes = {}, {}, {}, {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local at = (i - 2) * 6 + 3
  local kind = ARGV[at + 1]
  local made = kind == 'n'
  local f = not made and redis.call('HGET', key, 'f')
  if f == '1' then
    refused[#refused + 1] = i - 1
  else
    local final = made and '0' or kind
    if made or (f == false and redis.call('EXISTS', key) == 0) then
      local owner = ARGV[at + 4]
      local index = indexes[owner]
      if not index then
        index = {}
        indexes[owner] = index
      end
      index[#index + 1] = ARGV[at + 5]
      index[#index + 1] = ARGV[at]
      redis.call('HSET', key, 'r', ARGV[at + 3], 'f', final, 'a', ARGV[at + 2])
    else
      redis.call('HSET', key, 'r', ARGV[at + 3], 'f', final)
      -- every hash this script writes has its attempts; one from before it may not
      if f == false then redis.call('HSETNX', key, 'a', ARGV[at + 2]) end
    end
    if final == '1' then
      finished[#finished + 1] = ARGV[at]
      if retention > 0 then redis.call('PEXPIRE', key, retention) end
    else
      unfinished[#unfinished + 1] = ARGV[at]
    end
  end
end
-- in this order: a task written twice in one call can only go from unfinished to final
in_runs(unfinished, function(...) redis.call('SADD', KEYS[1], ...) end)
in_runs(finished, function(...) redis.call('SREM', KEYS[1], ...) end)
for owner, index in pairs(indexes) do
  in_runs(index, function(...) redis.call('ZADD', prefix .. 'tasks-of:' .. owner, ...) end)
end
return refused
`);

/** KEYS[1] = queue, KEYS[2] = back sequence. ARGV = ids, appended in order; ids already queued keep their place. */
/** Lua: appends ids (a table) to the back of a queue (KEYS[1]) in order, numbered by the sequence at KEYS[2]. */
const QUEUE_AT_BACK = `${IN_RUNS}
local function queue_at_back(ids)
  local first = redis.call('INCRBY', KEYS[2], #ids) - #ids
  local entries = {}
  for i = 1, #ids do
    entries[2 * i - 1] = first + i
    entries[2 * i] = ids[i]
  end
  in_runs(entries, function(...) redis.call('ZADD', KEYS[1], 'NX', ...) end)
end
`;

export const ENQUEUE = script(`${QUEUE_AT_BACK}
queue_at_back(ARGV)
return #ARGV
`);

/**
 * KEYS[1] = queue, KEYS[2] = back sequence, KEYS[3] = in-flight set, KEYS[4] = the endpoint's presence.
 * ARGV[1] = the prefix of hubs' channels, ARGV[2] = the message for the endpoint's hub, ARGV[3] = task key prefix,
 * ARGV[4..] = ids of tasks whose records were just written. When nothing waits in the queue (so no task is
 * overtaken) and the hub the presence names is listening, publishes the message on that hub's channel, holds
 * the ids in flight and counts their first attempt: returns 1. Otherwise queues them as ENQUEUE does: returns 0.
 * Returns -1, doing nothing, when the first record is missing (its write failed).
 */
export const HAND_OFF = script(`${QUEUE_AT_BACK}
local ids = {}
for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return 0 end
if redis.call('EXISTS', ARGV[3] .. ids[1]) == 0 then return -1 end
if redis.call('ZCARD', KEYS[1]) == 0 then
  local presence = redis.call('GET', KEYS[4])
  local ok, decoded = pcall(cjson.decode, presence or '')
  local hub = ok and type(decoded) == 'table' and decoded.hub
  if type(hub) == 'string' and redis.call('PUBLISH', ARGV[1] .. hub, ARGV[2]) > 0 then
    for _, id in ipairs(ids) do redis.call('HINCRBY', ARGV[3] .. id, 'a', 1) end
    in_runs(ids, function(...) redis.call('SADD', KEYS[3], ...) end)
    return 1
  end
end
queue_at_back(ids)
return 0
`);

/**
 * KEYS[1] = queue, KEYS[2] = in-flight set. ARGV[1] = max, ARGV[2] = task key prefix, ARGV[3..] = ids whose
 * records the caller holds. Pops up to max ids from the front into the in-flight set and counts one more attempt
 * on each known task. Returns [id, record JSON or false, attempts, ...]: the dispatcher needs the records next,
 * as they are at the take (false for those it holds).
 */
export const TAKE = script(`${IN_RUNS}
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
local held = {}
for i = 3, #ARGV do held[ARGV[i]] = true end
local ids, out = {}, {}
for i = 1, #popped, 2 do
  local id = popped[i]
  ids[#ids + 1] = id
  local key = ARGV[2] .. id
  local attempts = false
  if held[id] or redis.call('EXISTS', key) == 1 then attempts = redis.call('HINCRBY', key, 'a', 1) end
  out[#out + 1] = id
  out[#out + 1] = (not held[id]) and redis.call('HGET', key, 'r')
  out[#out + 1] = attempts
end
in_runs(ids, function(...) redis.call('SADD', KEYS[2], ...) end)
return out
`);

/** KEYS[1] = in-flight set. ARGV = ids of tasks just written (their first attempt counted), sent without queueing. */
export const HOLD_IN_FLIGHT = script(`${IN_RUNS}
in_runs(ARGV, function(...) redis.call('SADD', KEYS[1], ...) end)
return #ARGV
`);

/** KEYS[1] = queue, KEYS[2] = in-flight set, KEYS[3] = front sequence. ARGV = ids, put back at the front in order. */
export const REQUEUE = script(`
local n = #ARGV
if n == 0 then return 0 end
local first = redis.call('DECRBY', KEYS[3], n)
for i = 1, n do
  redis.call('SREM', KEYS[2], ARGV[i])
  redis.call('ZADD', KEYS[1], 'NX', first + i - 1, ARGV[i])
end
return n
`);

/** KEYS[1] = queue, KEYS[2] = in-flight set. Empties both; returns queued ids (in order) then in-flight ids. */
export const DROP_QUEUE = script(`
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do ids[#ids + 1] = id end
redis.call('DEL', KEYS[1], KEYS[2])
return ids
`);

/** KEYS[1] = token hash map, KEYS[2] = set of the subject's token hashes. Deletes them all. */
export const DELETE_TOKENS = script(`
local hashes = redis.call('SMEMBERS', KEYS[2])
for _, hash in ipairs(hashes) do redis.call('HDEL', KEYS[1], hash) end
redis.call('DEL', KEYS[2])
return #hashes
`);

/**
 * KEYS[1] = set of endpoints holding a lease. ARGV[1] = key prefix. For every endpoint whose lease key has
 * expired: forgets the lease and moves its in-flight ids to the front of its queue. Returns
 * [endpointId, ids, endpointId, ids, ...]; a lease is reaped by exactly one caller.
 */
export const REAP_LEASES = script(`
local prefix = ARGV[1]
local out = {}
for _, e in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', prefix .. 'lease:' .. e) == 0 then
    redis.call('SREM', KEYS[1], e)
    local inflight = prefix .. 'inflight:' .. e
    local ids = redis.call('SMEMBERS', inflight)
    if #ids > 0 then
      local first = redis.call('DECRBY', prefix .. 'front-seq', #ids)
      for i, id in ipairs(ids) do redis.call('ZADD', prefix .. 'queue:' .. e, 'NX', first + i - 1, id) end
      redis.call('DEL', inflight)
    end
    out[#out + 1] = e
    out[#out + 1] = ids
  end
end
return out
`);

/** KEYS = task hashes. Counts one attempt less on each known task whose count is above zero. */
export const REFUND_ATTEMPTS = script(`
for i = 1, #KEYS do
  local attempts = tonumber(redis.call('HGET', KEYS[i], 'a') or '0')
  if attempts and attempts > 0 then redis.call('HINCRBY', KEYS[i], 'a', -1) end
end
return #KEYS
`);

/** KEYS[1] = group hash, KEYS[2] = the group's member set. ARGV[1] = name, ARGV[2] = record JSON, ARGV[3..] = members. */
export const CREATE_GROUP = script(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('DEL', KEYS[2])
if #ARGV > 2 then redis.call('SADD', KEYS[2], unpack(ARGV, 3)) end
return 1
`);

/**
 * KEYS[1] = group hash, KEYS[2] = the group's member set. ARGV[1] = name, ARGV[2] = how many users to add, then
 * those users, then the users to remove. Returns the members after the change, or false without such a group.
 */
export const CHANGE_GROUP = script(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end
local adding = tonumber(ARGV[2])
for i = 3, 2 + adding do redis.call('SADD', KEYS[2], ARGV[i]) end
for i = 3 + adding, #ARGV do redis.call('SREM', KEYS[2], ARGV[i]) end
return redis.call('SMEMBERS', KEYS[2])
`);

/** KEYS[1] = the audit stream. ARGV = entries as JSON, appended in order; returns their ids. */
export const APPEND_AUDIT = script(`
local ids = {}
for i = 1, #ARGV do ids[i] = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i]) end
return ids
`);

/**
 * KEYS[1] = endpoint group hash (id to record), KEYS[2] = name hash (`owner/name` to id). ARGV[1] = id,
 * ARGV[2] = `owner/name`, ARGV[3] = record JSON. Returns 0 and changes nothing when the owner has that name.
 */
export const CREATE_ENDPOINT_GROUP = script(`
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/**
 * KEYS[1] = hash of id to record, KEYS[2] = hash of owner/name to id (endpoints, endpoint groups). ARGV[1] = id.
 * Frees the record's name with it; returns 1 when there was one.
 */
export const DELETE_NAMED = script(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
local record = cjson.decode(json)
local name = record.owner .. '/' .. record.name
if redis.call('HGET', KEYS[2], name) == ARGV[1] then redis.call('HDEL', KEYS[2], name) end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`);

/** KEYS as DELETE_NAMED. ARGV[1] = owner/name. The record of that name, or nil. */
export const FIND_NAMED = script(`
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[1], id)
`);
