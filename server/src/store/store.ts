import type { AuditEntry, EndpointGroupRecord, EndpointLoad, EndpointRecord, FunctionRecord, GroupRecord, TaskRecord, TaskState } from '@funcx/protocol';
import type { FlowStore } from './flow-store.js';

export interface UserRecord {
  name: string;
  created_at: number;
  /** May manage users, tokens and groups. */
  admin?: boolean;
}

export type TokenKind = 'user' | 'endpoint';

/** A token as stored: only its sha256 hash, never the token itself. */
export interface TokenRecord {
  hash: string;
  kind: TokenKind;
  /** The user name (kind "user") or the endpoint id (kind "endpoint"). */
  subject: string;
  created_at: number;
}

/** What every hub may know of an endpoint connected to any of them (kept while its heartbeats come). */
/** What became of tasks offered to the hub of their endpoint (Store.handOff). */
export type HandOff = 'handed' | 'queued';

export interface PresenceRecord {
  load: EndpointLoad;
  last_heartbeat: number;
  /** The instance id of the hub the endpoint is connected to: with several hubs, the one that can reach it. */
  hub?: string;
}

/** Which of a user's tasks to list. */
export interface TaskQuery {
  state?: TaskState;
  endpointId?: string;
  functionId?: string;
  taskGroup?: string;
  /** Where the previous page ended: its last task's received time and id. */
  after?: { received: number; taskId: string };
  limit: number;
}

/** Whether a task matches a query's filters (not its page). */
export function matchesQuery(task: TaskRecord, query: TaskQuery): boolean {
  return (
    (query.state === undefined || task.state === query.state) &&
    (query.endpointId === undefined || task.endpoint_id === query.endpointId) &&
    (query.functionId === undefined || task.function_id === query.functionId) &&
    (query.taskGroup === undefined || task.task_group === query.taskGroup)
  );
}

/** Whether a task comes after a page's last task, newest first. */
export function isAfter(task: TaskRecord, after: TaskQuery['after']): boolean {
  if (!after) return true;
  const received = task.timestamps.received ?? 0;
  return received < after.received || (received === after.received && task.task_id < after.taskId);
}

/** The in-flight ids of an endpoint whose lease ran out, now back at the front of its queue. */
export interface ExpiredLease {
  endpointId: string;
  taskIds: string[];
}

/** An audit entry before the store gives it its id. */
export type AuditRecord = Omit<AuditEntry, 'id'>;

export interface AuditQuery {
  /** Only this user's entries. */
  user?: string;
  /** Only entries at or after this epoch ms. */
  since?: number;
  /** The newest this many (returned oldest first). */
  limit: number;
}

/**
 * Users, their tokens, groups and the audit log: the part of the store that the hub's own CLI changes too, even
 * while hubs run (through users.jsonl and audit.jsonl for the embedded store, directly for Redis).
 */
export interface AccountStore {
  putUser(user: UserRecord): Promise<void>;
  getUser(name: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  putToken(token: TokenRecord): Promise<void>;
  /** Looks a token up by hash; a store shared with other processes also sees tokens they added or revoked. */
  getToken(hash: string): Promise<TokenRecord | undefined>;
  /** The records of these hashes, in order (undefined where revoked or unknown). */
  getTokens(hashes: string[]): Promise<(TokenRecord | undefined)[]>;
  deleteTokensOf(kind: TokenKind, subject: string): Promise<void>;
  /** How many tokens each of these subjects has, in order. */
  countTokens(kind: TokenKind, subjects: string[]): Promise<number[]>;

  /** Creates a group; false (and nothing changed) when one of that name exists. */
  createGroup(group: GroupRecord): Promise<boolean>;
  getGroup(name: string): Promise<GroupRecord | undefined>;
  listGroups(): Promise<GroupRecord[]>;
  /** Adds, then removes, members in one step; undefined when there is no such group. */
  changeGroupMembers(name: string, add: string[], remove: string[]): Promise<GroupRecord | undefined>;
  deleteGroup(name: string): Promise<boolean>;

  /** Appends to the audit log (never trimmed); the entries get ids in order. */
  appendAudit(entries: AuditRecord[]): Promise<void>;
  readAudit(query: AuditQuery): Promise<AuditEntry[]>;

  close(): Promise<void>;
}

/**
 * Everything the hub keeps. Every method is async so that a networked store (Redis) fits the same shape;
 * callers batch: one call per batch of tasks, never one per task in a loop.
 *
 * Each endpoint has a queue of task ids waiting to be sent to it and an in-flight set of ids sent to it and not
 * yet finished. `take` moves ids from the queue to the in-flight set atomically; `requeue` moves them back to
 * the front of the queue; `release` forgets them once they are final. A mutation has resolved once it is durable.
 */
export interface Store extends AccountStore {
  /** Flows, their runs and triggers (server/src/store/flow-store.ts). */
  readonly flows: FlowStore;

  putFunction(fn: FunctionRecord): Promise<void>;
  getFunction(functionId: string): Promise<FunctionRecord | undefined>;
  listFunctions(): Promise<FunctionRecord[]>;
  deleteFunction(functionId: string): Promise<boolean>;

  putEndpoint(endpoint: EndpointRecord): Promise<void>;
  getEndpoint(endpointId: string): Promise<EndpointRecord | undefined>;
  /** The endpoint this owner registered under this name. */
  findEndpoint(owner: string, name: string): Promise<EndpointRecord | undefined>;
  listEndpoints(): Promise<EndpointRecord[]>;
  deleteEndpoint(endpointId: string): Promise<boolean>;

  /** Creates an endpoint group; false (and nothing changed) when its owner has one of that name already. */
  createEndpointGroup(group: EndpointGroupRecord): Promise<boolean>;
  /** Replaces an endpoint group that exists (its owner and name stay what they were). */
  putEndpointGroup(group: EndpointGroupRecord): Promise<void>;
  getEndpointGroup(groupId: string): Promise<EndpointGroupRecord | undefined>;
  /** The endpoint group of this owner and name. */
  findEndpointGroup(owner: string, name: string): Promise<EndpointGroupRecord | undefined>;
  listEndpointGroups(): Promise<EndpointGroupRecord[]>;
  deleteEndpointGroup(groupId: string): Promise<boolean>;

  /**
   * Creates or replaces these tasks (whole records), except that a task already final in the store is never
   * replaced: the first final state wins, even when several hubs write at once. `madeIds` are ids the hub has
   * just made (random UUIDs) for new tasks: no record of them can exist, so the store need not look for one.
   * Returns the ids refused.
   */
  putTasks(tasks: TaskRecord[], madeIds?: ReadonlySet<string>): Promise<string[]>;
  /** The records of these ids, in order (undefined where unknown). */
  getTasks(taskIds: string[]): Promise<(TaskRecord | undefined)[]>;
  /** Every task not in a final state (used on start to rebuild what is pending). */
  listUnfinishedTasks(): Promise<TaskRecord[]>;
  /**
   * A user's tasks, newest first (by the time each was received, then by id), that match the query; at most
   * `limit`, starting after `after` when given (the last task of the previous page).
   */
  listTasks(owner: string, query: TaskQuery): Promise<TaskRecord[]>;

  enqueue(endpointId: string, taskIds: string[]): Promise<void>;
  /**
   * Moves up to `max` ids from the front of the queue to the in-flight set and returns them, counting one more
   * attempt on each of those tasks (the store records that itself, so the caller need not put them back).
   * `known`: ids whose records the caller holds (it just wrote them), which a networked store need not read.
   */
  take(endpointId: string, max: number, known?: string[]): Promise<string[]>;
  /**
   * A store a round trip away (Redis): puts tasks being written in this same turn straight into the endpoint's
   * in-flight set, without queueing them, for a hub that sends them to their endpoint while the write is on its
   * way. Their records are written with their first attempt counted (attempts 1), as a take would count it.
   */
  holdInFlight?(endpointId: string, taskIds: string[]): Promise<void>;
  /**
   * A store shared by several hubs (Redis): for tasks being written in this same turn, for an endpoint connected
   * to another hub, atomically either hands them to that hub (publishes `message`, the encoded hub message
   * carrying them, on its channel, holds them in flight and counts their first attempt) or, when tasks wait in
   * the endpoint's queue or that hub is not listening, queues them as `enqueue` does.
   */
  handOff?(endpointId: string, message: Uint8Array, taskIds: string[]): Promise<HandOff>;
  /** Moves in-flight ids back to the front of the queue. */
  requeue(endpointId: string, taskIds: string[]): Promise<void>;
  /** Forgets finished ids (in-flight or still queued). */
  release(endpointId: string, taskIds: string[]): Promise<void>;
  inFlight(endpointId: string): Promise<string[]>;
  /** How many ids each of these endpoints has in flight, in order. */
  inFlightCounts(endpointIds: string[]): Promise<number[]>;
  queueLength(endpointId: string): Promise<number>;
  /** Empties an endpoint's queue and in-flight set, returning every id that was in them. */
  dropQueue(endpointId: string): Promise<string[]>;
  /** Counts one attempt less on each of these tasks (never below zero): they were lost through no fault of their own. */
  refundAttempts(taskIds: string[]): Promise<void>;
  /** Moves ids to the endpoint's in-flight set (out of its queue if there): the endpoint says it holds them. */
  claim(endpointId: string, taskIds: string[]): Promise<void>;

  /**
   * The endpoint is alive: every hub sees its presence for `presenceMs`, and it keeps its lease on its in-flight
   * tasks for `leaseMs` (both renewed by each heartbeat).
   */
  keepAlive(endpointId: string, presence: PresenceRecord, presenceMs: number, leaseMs: number): Promise<void>;
  /** The endpoint disconnected: its presence ends now; its lease runs out on its own. */
  endPresence(endpointId: string): Promise<void>;
  getPresence(endpointIds: string[]): Promise<(PresenceRecord | undefined)[]>;
  /** Puts the in-flight ids of every endpoint whose lease ran out back at the front of its queue; each once. */
  reapExpiredLeases(): Promise<ExpiredLease[]>;
}
