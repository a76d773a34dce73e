import { createClient, MultiErrorReply, type RedisClientType } from 'redis';
import type { LuaScript } from './redis-scripts.js';
import type { RoundTrips } from './round-trips.js';

interface ScriptCall {
  lua: LuaScript;
  keys: string[];
  args: string[];
  resolve: (reply: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the store's Lua scripts. Scripts called in the same turn of the event loop (a submission's task records
 * and their queue entries) go out as one MULTI transaction: Redis applies all of them or, if the connection
 * drops first, none, so no task is ever written without its queue entry. A script alone goes by EVALSHA.
 */
export class ScriptRunner {
  private calls: ScriptCall[] | undefined;

  constructor(
    private readonly client: RedisClientType,
    private readonly roundTrips?: RoundTrips,
  ) {}

  run(lua: LuaScript, keys: string[], args: string[]): Promise<unknown> {
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
      try {
        resolve(await this.client.evalSha(lua.sha, { keys, arguments: args }));
      } catch (error) {
        if (!String((error as Error).message).startsWith('NOSCRIPT')) return reject(error);
        this.client.eval(lua.source, { keys, arguments: args }).then(resolve, reject);
      }
      return;
    }
    // Inside MULTI the full source is sent: a NOSCRIPT there (a restarted Redis) would fail one part alone.
    const multi = this.client.multi();
    for (const { lua, keys, args } of calls) multi.eval(lua.source, { keys, arguments: args });
    try {
      const replies = await multi.exec();
      calls.forEach((call, i) => call.resolve(replies[i]));
    } catch (error) {
      if (error instanceof MultiErrorReply) {
        const failed = new Set(error.errorIndexes);
        calls.forEach((call, i) => (failed.has(i) ? call.reject(error.replies[i]) : call.resolve(error.replies[i])));
      } else {
        for (const call of calls) call.reject(error);
      }
    }
  }
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
