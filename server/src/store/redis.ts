import type { RedisClientType } from 'redis';
import { isFinalState, type AuditEntry, type EndpointGroupRecord, type EndpointRecord, type FunctionRecord, type GroupRecord, type TaskRecord } from '@funcx/protocol';
import { createRedisClient, ScriptRunner, type ScriptArgument } from './redis-client.js';
import type { FlowStore } from './flow-store.js';
import { RedisFlowStore } from './redis-flows.js';
import { RedisKeys } from './redis-keys.js';
import { RoundTrips } from './round-trips.js';
import {
  APPEND_AUDIT,
  CHANGE_GROUP,
  CREATE_ENDPOINT_GROUP,
  CREATE_GROUP,
  DELETE_NAMED,
  DELETE_TOKENS,
  DROP_QUEUE,
  ENQUEUE,
  FIND_NAMED,
  HAND_OFF,
  HOLD_IN_FLIGHT,
  PUT_TASKS,
  REAP_LEASES,
  REFUND_ATTEMPTS,
  REQUEUE,
  TAKE,
  type LuaScript,
} from './redis-scripts.js';
import { isAfter, matchesQuery, type AuditQuery, type AuditRecord, type ExpiredLease, type HandOff, type PresenceRecord, type Store, type TaskQuery, type TokenKind, type TokenRecord, type UserRecord } from './store.js';

/** Audit entries read per round trip while a query filters. */
const AUDIT_PAGE = 1_000;
/**
 * Stream ids are Redis's clock, entries carry the hub's: a query since a time reads this much further back by id
 * and keeps what is at or after that time by the entry's own.
 */
const AUDIT_CLOCK_MARGIN_MS = 60_000;

export interface RedisStoreOptions {
  /** redis://HOST:PORT/DB */
  url: string;
  /** Prefix of every key (default "funcx:"), so several deployments can share one Redis database. */
  prefix?: string;
  /** How long a finished task (its result, error and outputs) is kept; 0 keeps it forever. */
  resultRetentionMs?: number;
  onWarning?: (message: string) => void;
}

/** The database number of a redis:// URL (0 when it names none). */
function databaseOf(url: string): number {
  const db = Number(new URL(url).pathname.slice(1));
  return Number.isInteger(db) && db > 0 ? db : 0;
}

/** Finished tasks are kept a week unless the hub is told otherwise. */
export const DEFAULT_RESULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

type Client = RedisClientType;

/**
 * The store on Redis, shared by every hub pointed at the same database. Each call is one round trip: a batch of
 * tasks is one script or one pipeline, never one command per task in a loop. Queues are sorted sets (score =
 * position), in-flight sets are sets, tasks are hashes {r: record JSON, a: attempts, f: "1" once final}.
 * Records returned are copies.
 */
export class RedisStore implements Store {
  readonly keys: RedisKeys;
  /** Calls that went to Redis, by store call; scripts of one turn share one round trip (ScriptRunner). */
  readonly roundTrips = new RoundTrips();
  private readonly retentionMs: number;
  private readonly scripts: ScriptRunner;
  /**
   * Records the last takes read, for the dispatcher that asks for them right after: each is served once, and
   * only until the take's turn of the event loop ends or the task is written, so no later read gets it stale.
   */
  private readonly taken = new Map<string, TaskRecord>();
  readonly flows: FlowStore;

  private constructor(
    readonly client: Client,
    options: RedisStoreOptions,
  ) {
    this.keys = new RedisKeys(options.prefix ?? 'funcx:', databaseOf(options.url));
    this.retentionMs = options.resultRetentionMs ?? DEFAULT_RESULT_RETENTION_MS;
    this.scripts = new ScriptRunner(client, this.roundTrips);
    this.flows = new RedisFlowStore(client, this.scripts, this.keys.prefix, this.retentionMs);
  }

  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const client = createRedisClient(options.url, options.onWarning);
    await client.connect();
    return new RedisStore(client, options);
  }

  private run(lua: LuaScript, keys: string[], args: ScriptArgument[]): Promise<unknown> {
    return this.scripts.run(lua, keys, args);
  }

  async putUser(user: UserRecord): Promise<void> {
    await this.client.hSet(this.keys.users, user.name, JSON.stringify(user));
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    return parse<UserRecord>(await this.client.hGet(this.keys.users, name));
  }

  async listUsers(): Promise<UserRecord[]> {
    return Object.values(await this.client.hGetAll(this.keys.users)).map((json) => JSON.parse(json) as UserRecord);
  }

  async putToken(token: TokenRecord): Promise<void> {
    await this.client
      .multi()
      .hSet(this.keys.tokens, token.hash, JSON.stringify(token))
      .sAdd(this.keys.tokensOf(token.kind, token.subject), token.hash)
      .exec();
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    this.roundTrips.add('getToken');
    return parse<TokenRecord>(await this.client.hGet(this.keys.tokens, hash));
  }

  async getTokens(hashes: string[]): Promise<(TokenRecord | undefined)[]> {
    if (hashes.length === 0) return [];
    this.roundTrips.add('getTokens');
    return (await this.client.hmGet(this.keys.tokens, hashes)).map((json) => parse<TokenRecord>(json));
  }

  async deleteTokensOf(kind: TokenKind, subject: string): Promise<void> {
    await this.run(DELETE_TOKENS, [this.keys.tokens, this.keys.tokensOf(kind, subject)], []);
  }

  async countTokens(kind: TokenKind, subjects: string[]): Promise<number[]> {
    if (subjects.length === 0) return [];
    const pipeline = this.client.multi();
    for (const subject of subjects) pipeline.sCard(this.keys.tokensOf(kind, subject));
    return (await pipeline.execAsPipeline()) as unknown as number[];
  }

  async createGroup(group: GroupRecord): Promise<boolean> {
    const { members, ...record } = group;
    const keys = [this.keys.groups, this.keys.groupMembers(group.name)];
    return (await this.run(CREATE_GROUP, keys, [group.name, JSON.stringify(record), ...members])) === 1;
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    const [json, members] = (await this.client
      .multi()
      .hGet(this.keys.groups, name)
      .sMembers(this.keys.groupMembers(name))
      .exec()) as unknown as [string | null, string[]];
    return json ? { ...(JSON.parse(json) as GroupRecord), members } : undefined;
  }

  async listGroups(): Promise<GroupRecord[]> {
    const records = Object.values(await this.client.hGetAll(this.keys.groups)).map((json) => JSON.parse(json) as GroupRecord);
    if (records.length === 0) return [];
    const pipeline = this.client.multi();
    for (const record of records) pipeline.sMembers(this.keys.groupMembers(record.name));
    const members = (await pipeline.execAsPipeline()) as unknown as string[][];
    return records.map((record, i) => ({ ...record, members: members[i] }));
  }

  async changeGroupMembers(name: string, add: string[], remove: string[]): Promise<GroupRecord | undefined> {
    const keys = [this.keys.groups, this.keys.groupMembers(name)];
    const members = (await this.run(CHANGE_GROUP, keys, [name, String(add.length), ...add, ...remove])) as string[] | null;
    if (!members) return undefined;
    const json = await this.client.hGet(this.keys.groups, name);
    return json ? { ...(JSON.parse(json) as GroupRecord), members } : undefined;
  }

  async deleteGroup(name: string): Promise<boolean> {
    const [deleted] = (await this.client
      .multi()
      .hDel(this.keys.groups, name)
      .del(this.keys.groupMembers(name))
      .exec()) as unknown as [number, number];
    return deleted > 0;
  }

  /** A script, so that called beside a submission's scripts it goes out in the same MULTI. */
  async appendAudit(entries: AuditRecord[]): Promise<void> {
    if (entries.length === 0) return;
    this.roundTrips.add('appendAudit');
    await this.run(APPEND_AUDIT, [this.keys.audit], entries.map((entry) => JSON.stringify(entry)));
  }

  async readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    const { since, user } = query;
    const start = since === undefined ? '-' : `${Math.max(0, Math.floor(since - AUDIT_CLOCK_MARGIN_MS))}-0`;
    let end = '+';
    for (;;) {
      const count = user === undefined && since === undefined ? query.limit - found.length : AUDIT_PAGE;
      const page = await this.client.xRevRange(this.keys.audit, end, start, { COUNT: count });
      for (const { id, message } of page) {
        const entry = { id, ...(JSON.parse(message.e) as AuditRecord) };
        if ((user === undefined || entry.user === user) && (since === undefined || entry.at >= since)) found.push(entry);
        if (found.length >= query.limit) return found.reverse();
      }
      if (page.length < count) return found.reverse();
      end = `(${page[page.length - 1].id}`;
    }
  }

  async putFunction(fn: FunctionRecord): Promise<void> {
    await this.client.hSet(this.keys.functions, fn.function_id, JSON.stringify(fn));
  }

  async getFunction(functionId: string): Promise<FunctionRecord | undefined> {
    this.roundTrips.add('getFunction');
    return parse<FunctionRecord>(await this.client.hGet(this.keys.functions, functionId));
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return Object.values(await this.client.hGetAll(this.keys.functions)).map((json) => JSON.parse(json) as FunctionRecord);
  }

  async deleteFunction(functionId: string): Promise<boolean> {
    return (await this.client.hDel(this.keys.functions, functionId)) > 0;
  }

  async putEndpoint(endpoint: EndpointRecord): Promise<void> {
    await this.client
      .multi()
      .hSet(this.keys.endpoints, endpoint.endpoint_id, JSON.stringify(endpoint))
      .hSet(this.keys.endpointNames, `${endpoint.owner}/${endpoint.name}`, endpoint.endpoint_id)
      .exec();
  }

  async getEndpoint(endpointId: string): Promise<EndpointRecord | undefined> {
    this.roundTrips.add('getEndpoint');
    return parse<EndpointRecord>(await this.client.hGet(this.keys.endpoints, endpointId));
  }

  async findEndpoint(owner: string, name: string): Promise<EndpointRecord | undefined> {
    this.roundTrips.add('findEndpoint');
    const found = parse<EndpointRecord>((await this.run(FIND_NAMED, [this.keys.endpoints, this.keys.endpointNames], [`${owner}/${name}`])) as string | null);
    if (found) return found;
    // Endpoints registered before names were indexed are found by their records, and indexed then.
    const endpoint = (await this.listEndpoints()).find((record) => record.owner === owner && record.name === name);
    if (endpoint) await this.client.hSetNX(this.keys.endpointNames, `${owner}/${name}`, endpoint.endpoint_id);
    return endpoint;
  }

  async listEndpoints(): Promise<EndpointRecord[]> {
    this.roundTrips.add('listEndpoints');
    return Object.values(await this.client.hGetAll(this.keys.endpoints)).map((json) => JSON.parse(json) as EndpointRecord);
  }

  async deleteEndpoint(endpointId: string): Promise<boolean> {
    return (await this.run(DELETE_NAMED, [this.keys.endpoints, this.keys.endpointNames], [endpointId])) === 1;
  }

  async createEndpointGroup(group: EndpointGroupRecord): Promise<boolean> {
    const keys = [this.keys.endpointGroups, this.keys.endpointGroupNames];
    return (await this.run(CREATE_ENDPOINT_GROUP, keys, [group.group_id, `${group.owner}/${group.name}`, JSON.stringify(group)])) === 1;
  }

  async putEndpointGroup(group: EndpointGroupRecord): Promise<void> {
    await this.client.hSet(this.keys.endpointGroups, group.group_id, JSON.stringify(group));
  }

  async getEndpointGroup(groupId: string): Promise<EndpointGroupRecord | undefined> {
    return parse<EndpointGroupRecord>(await this.client.hGet(this.keys.endpointGroups, groupId));
  }

  async listEndpointGroups(): Promise<EndpointGroupRecord[]> {
    return Object.values(await this.client.hGetAll(this.keys.endpointGroups)).map((json) => JSON.parse(json) as EndpointGroupRecord);
  }

  async deleteEndpointGroup(groupId: string): Promise<boolean> {
    return (await this.run(DELETE_NAMED, [this.keys.endpointGroups, this.keys.endpointGroupNames], [groupId])) === 1;
  }

  async findEndpointGroup(owner: string, name: string): Promise<EndpointGroupRecord | undefined> {
    this.roundTrips.add('findEndpointGroup');
    return parse<EndpointGroupRecord>((await this.run(FIND_NAMED, [this.keys.endpointGroups, this.keys.endpointGroupNames], [`${owner}/${name}`])) as string | null);
  }

  async putTasks(tasks: TaskRecord[], madeIds?: ReadonlySet<string>): Promise<string[]> {
    if (tasks.length === 0) return [];
    this.roundTrips.add('putTasks');
    if (this.taken.size > 0) for (const task of tasks) this.taken.delete(task.task_id);
    const keys = new Array<string>(tasks.length + 1);
    const args = new Array<string>(tasks.length * 6 + 2);
    keys[0] = this.keys.unfinished;
    args[0] = String(this.retentionMs);
    args[1] = this.keys.prefix;
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[i];
      const at = i * 6 + 2;
      keys[i + 1] = this.keys.task(task.task_id);
      args[at] = task.task_id;
      args[at + 1] = isFinalState(task.state) ? '1' : madeIds?.has(task.task_id) ? 'n' : '0';
      args[at + 2] = String(task.attempts);
      args[at + 3] = JSON.stringify(task);
      args[at + 4] = task.owner;
      args[at + 5] = String(task.timestamps.received ?? 0);
    }
    const refused = (await this.run(PUT_TASKS, keys, args)) as number[];
    return refused.map((position) => tasks[position - 1].task_id);
  }

  async getTasks(taskIds: string[]): Promise<(TaskRecord | undefined)[]> {
    if (taskIds.length === 0) return [];
    const found = taskIds.map((id) => this.takenRecord(id));
    const missing = taskIds.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found;
    this.roundTrips.add('getTasks');
    const pipeline = this.client.multi();
    for (const id of missing) pipeline.hmGet(this.keys.task(id), ['r', 'a']);
    const replies = (await pipeline.execAsPipeline()) as unknown as (string | null)[][];
    let next = 0;
    return found.map((task) => task ?? parseTask(replies[next][0], replies[next++][1]));
  }

  /** A record read by a take (once): the dispatcher asks for the records of what it took right after. */
  private takenRecord(taskId: string): TaskRecord | undefined {
    const task = this.taken.get(taskId);
    if (task) this.taken.delete(taskId);
    return task;
  }

  async listTasks(owner: string, query: TaskQuery): Promise<TaskRecord[]> {
    this.roundTrips.add('listTasks');
    const index = this.keys.tasksOf(owner);
    const found: TaskRecord[] = [];
    const chunk = Math.max(100, query.limit * 2);
    const max = query.after ? String(query.after.received) : '+inf';
    let skip = 0;
    for (;;) {
      const ids = await this.client.zRange(index, max, '-inf', { BY: 'SCORE', REV: true, LIMIT: { offset: skip, count: chunk } });
      if (ids.length === 0) return found;
      const records = await this.getTasks(ids);
      const expired: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        const task = records[i];
        if (!task) expired.push(ids[i]);
        else if (isAfter(task, query.after) && matchesQuery(task, query)) {
          found.push(task);
          if (found.length === query.limit) break;
        }
      }
      // Finished tasks past their retention leave their ids in the index; they go when found.
      if (expired.length > 0) await this.client.zRem(index, expired);
      if (found.length === query.limit || ids.length < chunk) return found;
      skip += ids.length - expired.length;
    }
  }

  async listUnfinishedTasks(): Promise<TaskRecord[]> {
    this.roundTrips.add('listUnfinishedTasks');
    const ids = await this.client.sMembers(this.keys.unfinished);
    return (await this.getTasks(ids)).filter((task): task is TaskRecord => !!task && !isFinalState(task.state));
  }

  async enqueue(endpointId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('enqueue');
    await this.run(ENQUEUE, [this.keys.queue(endpointId), this.keys.backSeq], taskIds);
  }

  async handOff(endpointId: string, message: Uint8Array, taskIds: string[]): Promise<HandOff> {
    if (taskIds.length === 0) return 'queued';
    this.roundTrips.add('handOff');
    const keys = [this.keys.queue(endpointId), this.keys.backSeq, this.keys.inflight(endpointId), this.keys.presence(endpointId)];
    const args: ScriptArgument[] = [this.keys.hubChannel(''), Buffer.from(message.buffer, message.byteOffset, message.byteLength), this.keys.task(''), ...taskIds];
    const reply = Number(await this.run(HAND_OFF, keys, args));
    if (reply < 0) throw new Error(`the records of tasks for endpoint ${endpointId} were not written: nothing was queued`);
    return reply === 1 ? 'handed' : 'queued';
  }

  async holdInFlight(endpointId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('holdInFlight');
    await this.run(HOLD_IN_FLIGHT, [this.keys.inflight(endpointId)], taskIds);
  }

  async refundAttempts(taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('refundAttempts');
    await this.run(REFUND_ATTEMPTS, taskIds.map((id) => this.keys.task(id)), []);
  }

  async take(endpointId: string, max: number, known: string[] = []): Promise<string[]> {
    if (max <= 0) return [];
    this.roundTrips.add('take');
    const keys = [this.keys.queue(endpointId), this.keys.inflight(endpointId)];
    const flat = (await this.run(TAKE, keys, [String(max), this.keys.task(''), ...known])) as (string | number | null)[];
    const ids: string[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const id = flat[i] as string;
      ids.push(id);
      const task = parseTask(flat[i + 1] as string | null, flat[i + 2]);
      if (task) this.taken.set(id, task);
    }
    if (this.taken.size > 0) setImmediate(() => this.taken.clear());
    return ids;
  }

  async requeue(endpointId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('requeue');
    await this.run(REQUEUE, [this.keys.queue(endpointId), this.keys.inflight(endpointId), this.keys.frontSeq], taskIds);
  }

  async release(endpointId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('release');
    await this.client
      .multi()
      .sRem(this.keys.inflight(endpointId), taskIds)
      .zRem(this.keys.queue(endpointId), taskIds)
      .exec();
  }

  async claim(endpointId: string, taskIds: string[]): Promise<void> {
    if (taskIds.length === 0) return;
    this.roundTrips.add('claim');
    await this.client
      .multi()
      .zRem(this.keys.queue(endpointId), taskIds)
      .sAdd(this.keys.inflight(endpointId), taskIds)
      .exec();
  }

  inFlight(endpointId: string): Promise<string[]> {
    this.roundTrips.add('inFlight');
    return this.client.sMembers(this.keys.inflight(endpointId));
  }

  async inFlightCounts(endpointIds: string[]): Promise<number[]> {
    if (endpointIds.length === 0) return [];
    this.roundTrips.add('inFlightCounts');
    const pipeline = this.client.multi();
    for (const endpointId of endpointIds) pipeline.sCard(this.keys.inflight(endpointId));
    return (await pipeline.execAsPipeline()) as unknown as number[];
  }

  queueLength(endpointId: string): Promise<number> {
    this.roundTrips.add('queueLength');
    return this.client.zCard(this.keys.queue(endpointId));
  }

  async dropQueue(endpointId: string): Promise<string[]> {
    this.roundTrips.add('dropQueue');
    return (await this.run(DROP_QUEUE, [this.keys.queue(endpointId), this.keys.inflight(endpointId)], [])) as string[];
  }

  async keepAlive(endpointId: string, presence: PresenceRecord, presenceMs: number, leaseMs: number): Promise<void> {
    this.roundTrips.add('keepAlive');
    await this.client
      .multi()
      .set(this.keys.presence(endpointId), JSON.stringify(presence), { expiration: { type: 'PX', value: presenceMs } })
      .set(this.keys.lease(endpointId), String(Date.now() + leaseMs), { expiration: { type: 'PX', value: leaseMs } })
      .sAdd(this.keys.leased, endpointId)
      .exec();
  }

  async endPresence(endpointId: string): Promise<void> {
    this.roundTrips.add('endPresence');
    await this.client.del(this.keys.presence(endpointId));
  }

  async getPresence(endpointIds: string[]): Promise<(PresenceRecord | undefined)[]> {
    if (endpointIds.length === 0) return [];
    this.roundTrips.add('getPresence');
    const values = await this.client.mGet(endpointIds.map((id) => this.keys.presence(id)));
    return values.map((value) => parse<PresenceRecord>(value));
  }

  async reapExpiredLeases(): Promise<ExpiredLease[]> {
    this.roundTrips.add('reapExpiredLeases');
    const flat = (await this.run(REAP_LEASES, [this.keys.leased], [this.keys.prefix])) as (string | string[])[];
    const expired: ExpiredLease[] = [];
    for (let i = 0; i < flat.length; i += 2) expired.push({ endpointId: flat[i] as string, taskIds: flat[i + 1] as string[] });
    return expired;
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close();
  }
}

function parseTask(json: string | null | undefined, attempts: unknown): TaskRecord | undefined {
  if (!json) return undefined;
  const task = JSON.parse(json) as TaskRecord;
  if (attempts !== null && attempts !== undefined && attempts !== false) task.attempts = Number(attempts);
  return task;
}

function parse<T>(json: string | null | undefined): T | undefined {
  return json ? (JSON.parse(json) as T) : undefined;
}
