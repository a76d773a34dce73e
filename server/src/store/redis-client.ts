import { createClient, type RedisClientType } from 'redis';
import { script, type LuaScript } from './redis-scripts.js';
import type { RoundTrips } from './round-trips.js';

/** A script's argument: text, or bytes as they are (a message for a hub's channel). */
export type ScriptArgument = string | Buffer;

interface ScriptCall {
  lua: LuaScript;
  keys: string[];
  args: ScriptArgument[];
  resolve: (reply: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the store's Lua scripts. Scripts called in the same turn of the event loop (a submission's task records,
 * audit entry, queue entries and take) go out as one script that runs each in turn: one round trip, one script
 * for Redis to run, and either all of them or, if the connection drops first, none, so no task is ever written
 * without its queue entry. Each part's error is its caller's alone. Scripts go by EVALSHA, and by their source
 * only when Redis does not know them yet: NOSCRIPT means that nothing ran.
 */
export class ScriptRunner {
  private calls: ScriptCall[] | undefined;
  /** The script that runs a turn's scripts, by the scripts it runs. */
  private readonly combined = new Map<string, LuaScript>();

  constructor(
    private readonly client: RedisClientType,
    private readonly roundTrips?: RoundTrips,
  ) {}

  run(lua: LuaScript, keys: string[], args: ScriptArgument[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (!this.calls) {
        this.calls = [];
        queueMicrotask(() => void this.flush());
      }
      this.calls.push({ lua, keys, args, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const calls = this.calls ?? [];
    this.calls = undefined;
    this.roundTrips?.add(calls.length === 1 ? 'script' : 'scripts in one transaction');
    if (calls.length === 1) {
      const [{ lua, keys, args, resolve, reject }] = calls;
      this.evaluate(lua, keys, args).then(resolve, reject);
      return;
    }
    const scripts = [...new Set(calls.map((call) => call.lua))];
    const key = scripts.map((lua) => lua.sha).join(',');
    let lua = this.combined.get(key);
    if (!lua) this.combined.set(key, (lua = combinedScript(scripts)));
    const keys: string[] = [];
    const args: ScriptArgument[] = [String(calls.length)];
    for (const call of calls) args.push(String(scripts.indexOf(call.lua) + 1), String(call.keys.length), String(call.args.length));
    for (const call of calls) {
      for (const name of call.keys) keys.push(name);
      for (const arg of call.args) args.push(arg);
    }
    try {
      const replies = (await this.evaluate(lua, keys, args)) as unknown[];
      calls.forEach((call, i) => (replies[i] instanceof Error ? call.reject(replies[i]) : call.resolve(replies[i])));
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  }

  private async evaluate(lua: LuaScript, keys: string[], args: ScriptArgument[]): Promise<unknown> {
    try {
      return await this.client.evalSha(lua.sha, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.client.eval(lua.source, { keys, arguments: args });
    }
  }
}

/**
 * Lua: runs scripts one after another, each with its own KEYS and ARGV. ARGV[1] = how many runs, then per run the
 * script's number, its key count and its argument count, then every run's arguments in order (KEYS likewise).
 * Returns each run's reply; one that raised an error has that error as its reply, and the others still run.
 */
function combinedScript(scripts: LuaScript[]): LuaScript {
  const functions = scripts.map((lua) => `function(KEYS, ARGV)\n${lua.source}\nend`).join(',\n');
  return script(`local scripts = {
${functions}
}
local runs = tonumber(ARGV[1])
local k, a = 1, 2 + 3 * runs
local replies = {}
for i = 1, runs do
  local h = 3 * i - 1
  local run, nkeys, nargs = scripts[tonumber(ARGV[h])], tonumber(ARGV[h + 1]), tonumber(ARGV[h + 2])
  local keys, argv = {}, {}
  for j = 1, nkeys do keys[j] = KEYS[k + j - 1] end
  for j = 1, nargs do argv[j] = ARGV[a + j - 1] end
  k, a = k + nkeys, a + nargs
  local ok, reply = pcall(run, keys, argv)
  if not ok then reply = type(reply) == 'table' and reply.err and reply or { err = tostring(reply) } end
  if reply == nil then reply = false end
  replies[i] = reply
end
return replies
`);
}

/** A client that reconnects on its own (commands wait in its queue meanwhile) and reports errors as warnings. */
export function createRedisClient(url: string, onWarning?: (message: string) => void): RedisClientType {
  const client: RedisClientType = createClient({
    url,
    socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000), connectTimeout: 5_000 },
  });
  let lastWarning = 0;
  client.on('error', (error: Error) => {
    if (Date.now() - lastWarning < 1_000) return;
    lastWarning = Date.now();
    onWarning?.(`redis at ${url}: ${error.message} (retrying; check that redis-server runs there)`);
  });
  return client;
}
