import { mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry, EndpointGroupRecord, EndpointRecord, FunctionRecord, GroupRecord, TaskRecord } from '@funcx/protocol';
import { isFinalState } from '@funcx/protocol';
import { AccountLedger, AUDIT_FILE, USERS_FILE } from './account-ledger.js';
import { AuditLog } from './audit-log.js';
import { JournalWriter } from './journal.js';
import { forEachJsonLine, writeJsonLinesAtomically } from './json-lines.js';
import type { FlowStore } from './flow-store.js';
import { MemoryFlowStore } from './memory-flows.js';
import { MemoryLeases } from './memory-leases.js';
import { FINISHED_TASKS_KEPT, MemoryState, type JournalEntry } from './memory-state.js';
import { isAfter, matchesQuery, type AuditQuery, type AuditRecord, type ExpiredLease, type PresenceRecord, type Store, type TaskQuery, type TokenKind, type TokenRecord, type UserRecord } from './store.js';
import { UsersFile } from './users-file.js';

const SNAPSHOT_FILE = 'snapshot.jsonl';
const JOURNAL_FILE = 'journal.jsonl';

/** How often a running hub looks at users.jsonl for what the CLI appended (a stat when nothing was). */
export const USERS_FILE_POLL_MS = 1_000;

/** A running hub compacts its journal into a new snapshot once the journal passes this (or twice the snapshot). */
export const COMPACT_AFTER_BYTES = 256 * 1024 * 1024;

export interface MemoryStoreOptions {
  /** Where to persist; without it nothing outlives the process. */
  dataDir?: string;
  /** Journal size that starts a compaction (default COMPACT_AFTER_BYTES); tests lower it. */
  compactAfterBytes?: number;
  onWarning?: (message: string) => void;
}

/**
 * The embedded store: everything in memory, persisted in the data dir as a snapshot plus an append-only
 * journal written once per tick, compacted into a new snapshot on every start. Users, their tokens and groups
 * live in `users.jsonl`, which `funcx-hub users …` and `groups …` append to while the hub runs; the audit log in
 * `audit.jsonl`.
 * Records returned are the stored objects themselves: change them only to put them back.
 */
export class MemoryStore implements Store {
  private readonly state = new MemoryState();
  private readonly leases = new MemoryLeases();
  private flowStore = MemoryFlowStore.open(undefined);
  private journal: JournalWriter | undefined;
  private accounts: AccountLedger;
  private files: { snapshot: string; journal: string } | undefined;
  private generation = 0;
  private snapshotBytes = 0;
  private journalHeaderBytes = 0;
  /** Compactions done while running (for tests and metrics). */
  compactions = 0;
  private readonly trimTimer: NodeJS.Timeout;
  private readonly usersTimer: NodeJS.Timeout;

  private constructor(private readonly options: MemoryStoreOptions) {
    this.accounts = new AccountLedger(this.state, undefined, new AuditLog(undefined));
    // A long-running hub keeps only the newest finished tasks in memory, as a compaction would.
    this.trimTimer = setInterval(() => this.state.forgetOldFinished(FINISHED_TASKS_KEPT), 60_000);
    this.trimTimer.unref();
    // Revocations and group changes made with the CLI take effect without waiting for a request to look.
    this.usersTimer = setInterval(() => this.accounts.refresh(), USERS_FILE_POLL_MS);
    this.usersTimer.unref();
  }

  static async open(options: MemoryStoreOptions = {}): Promise<MemoryStore> {
    const store = new MemoryStore(options);
    if (options.dataDir) store.load(options.dataDir);
    return store;
  }

  get flows(): FlowStore {
    return this.flowStore;
  }

  private load(dataDir: string): void {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const warn = this.options.onWarning ?? (() => undefined);
    this.flowStore = MemoryFlowStore.open(dataDir, warn);
    this.files = { snapshot: join(dataDir, SNAPSHOT_FILE), journal: join(dataDir, JOURNAL_FILE) };
    const { snapshot, journal } = this.files;
    let snapshotGeneration = 0;
    let first = true;
    forEachJsonLine<JournalEntry>(snapshot, (entry) => {
      if (first && entry.k === 'gen') snapshotGeneration = entry.n;
      else this.state.apply(entry);
      first = false;
    }, (line) => warn(`skipped a torn line ${line} in ${snapshot}`));
    // A journal of another generation predates the snapshot (a compaction stopped between its two renames).
    let journalGeneration = 0;
    first = true;
    let skipJournal = false;
    forEachJsonLine<JournalEntry>(journal, (entry) => {
      if (first && entry.k === 'gen') journalGeneration = entry.n;
      first = false;
      if (skipJournal || entry.k === 'gen') return;
      if (journalGeneration !== snapshotGeneration) {
        skipJournal = true;
        warn(`ignored ${journal}: the snapshot already holds it (generation ${journalGeneration}, snapshot ${snapshotGeneration})`);
        return;
      }
      this.state.apply(entry);
    }, (line) => warn(`skipped a torn line ${line} in ${journal}`));
    const users = new UsersFile(join(dataDir, USERS_FILE), (line) => warn(`skipped a bad line ${line} in ${USERS_FILE}`));
    const audit = new AuditLog(join(dataDir, AUDIT_FILE), (error) => warn(`could not write ${AUDIT_FILE}: ${error.message}`));
    this.accounts = new AccountLedger(this.state, users, audit);
    this.accounts.refresh();
    this.state.normalize();
    this.generation = snapshotGeneration;
    this.writeSnapshot();
    this.journal = new JournalWriter(
      openSync(journal, 'a', 0o600),
      (error) => warn(`could not write ${journal}: ${error.message}`),
      () => this.compactIfLarge(),
    );
    this.journal.written = this.journalHeaderBytes;
  }

  /**
   * Writes the whole state as a new snapshot of the next generation, then a new journal of that generation
   * holding only its header. Each file is written aside and renamed into place.
   */
  private writeSnapshot(): void {
    const { snapshot, journal } = this.files!;
    this.generation++;
    const header = JSON.stringify({ k: 'gen', n: this.generation }) + '\n';
    this.snapshotBytes = writeJsonLinesAtomically(snapshot, this.state.snapshot(), header);
    this.journalHeaderBytes = writeJsonLinesAtomically(journal, [], header);
  }

  /** While running: once the journal outgrows its bound, its content becomes a new snapshot. */
  private compactIfLarge(): void {
    const journal = this.journal;
    if (!journal || journal.written < Math.max(this.options.compactAfterBytes ?? COMPACT_AFTER_BYTES, 2 * this.snapshotBytes)) return;
    this.state.forgetOldFinished(FINISHED_TASKS_KEPT);
    this.writeSnapshot();
    journal.replaceFile(openSync(this.files!.journal, 'a', 0o600), this.journalHeaderBytes);
    this.compactions++;
  }

  private log(entry: JournalEntry): Promise<void> {
    return this.journal ? this.journal.append(entry) : Promise.resolve();
  }

  putUser(user: UserRecord): Promise<void> {
    return this.accounts.putUser(user);
  }

  getUser(name: string): Promise<UserRecord | undefined> {
    return this.accounts.getUser(name);
  }

  listUsers(): Promise<UserRecord[]> {
    return this.accounts.listUsers();
  }

  async putToken(token: TokenRecord): Promise<void> {
    if (token.kind === 'user') return this.accounts.putToken(token);
    this.state.tokens.set(token.hash, token);
    await this.log({ k: 'token', v: token });
  }

  getToken(hash: string): Promise<TokenRecord | undefined> {
    return this.accounts.getToken(hash);
  }

  getTokens(hashes: string[]): Promise<(TokenRecord | undefined)[]> {
    return this.accounts.getTokens(hashes);
  }

  async deleteTokensOf(kind: TokenKind, subject: string): Promise<void> {
    if (kind === 'user') return this.accounts.deleteTokensOf(kind, subject);
    this.state.deleteTokensOf(kind, subject);
    await this.log({ k: 'untoken', kind, subject });
  }

  countTokens(kind: TokenKind, subjects: string[]): Promise<number[]> {
    return this.accounts.countTokens(kind, subjects);
  }

  createGroup(group: GroupRecord): Promise<boolean> {
    return this.accounts.createGroup(group);
  }

  getGroup(name: string): Promise<GroupRecord | undefined> {
    return this.accounts.getGroup(name);
  }

  listGroups(): Promise<GroupRecord[]> {
    return this.accounts.listGroups();
  }

  changeGroupMembers(name: string, add: string[], remove: string[]): Promise<GroupRecord | undefined> {
    return this.accounts.changeGroupMembers(name, add, remove);
  }

  deleteGroup(name: string): Promise<boolean> {
    return this.accounts.deleteGroup(name);
  }

  appendAudit(entries: AuditRecord[]): Promise<void> {
    return this.accounts.appendAudit(entries);
  }

  readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.accounts.readAudit(query);
  }

  async putFunction(fn: FunctionRecord): Promise<void> {
    this.state.functions.set(fn.function_id, fn);
    await this.log({ k: 'fn', v: fn });
  }

  async getFunction(functionId: string): Promise<FunctionRecord | undefined> {
    return this.state.functions.get(functionId);
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return [...this.state.functions.values()];
  }

  async deleteFunction(functionId: string): Promise<boolean> {
    if (!this.state.functions.delete(functionId)) return false;
    await this.log({ k: 'fn-', id: functionId });
    return true;
  }

  async putEndpoint(endpoint: EndpointRecord): Promise<void> {
    this.state.endpoints.set(endpoint.endpoint_id, endpoint);
    await this.log({ k: 'ep', v: endpoint });
  }

  async getEndpoint(endpointId: string): Promise<EndpointRecord | undefined> {
    return this.state.endpoints.get(endpointId);
  }

  async listEndpoints(): Promise<EndpointRecord[]> {
    return [...this.state.endpoints.values()];
  }

  async findEndpoint(owner: string, name: string): Promise<EndpointRecord | undefined> {
    for (const endpoint of this.state.endpoints.values()) if (endpoint.owner === owner && endpoint.name === name) return endpoint;
    return undefined;
  }

  async deleteEndpoint(endpointId: string): Promise<boolean> {
    if (!this.state.endpoints.delete(endpointId)) return false;
    await this.log({ k: 'ep-', id: endpointId });
    return true;
  }

  async createEndpointGroup(group: EndpointGroupRecord): Promise<boolean> {
    for (const existing of this.state.endpointGroups.values()) {
      if (existing.owner === group.owner && existing.name === group.name) return false;
    }
    await this.putEndpointGroup(group);
    return true;
  }

  async putEndpointGroup(group: EndpointGroupRecord): Promise<void> {
    this.state.endpointGroups.set(group.group_id, group);
    await this.log({ k: 'eg', v: group });
  }

  async getEndpointGroup(groupId: string): Promise<EndpointGroupRecord | undefined> {
    return this.state.endpointGroups.get(groupId);
  }

  async listEndpointGroups(): Promise<EndpointGroupRecord[]> {
    return [...this.state.endpointGroups.values()];
  }

  async findEndpointGroup(owner: string, name: string): Promise<EndpointGroupRecord | undefined> {
    for (const group of this.state.endpointGroups.values()) if (group.owner === owner && group.name === name) return group;
    return undefined;
  }

  async deleteEndpointGroup(groupId: string): Promise<boolean> {
    if (!this.state.endpointGroups.delete(groupId)) return false;
    await this.log({ k: 'eg-', id: groupId });
    return true;
  }

  putTasks(tasks: TaskRecord[]): Promise<string[]> {
    const map = this.state.tasks;
    const journal = this.journal;
    const refused: string[] = [];
    for (const task of tasks) {
      const stored = map.get(task.task_id);
      if (stored === task) {
        journal?.markTask(task, false);
      } else if (stored && isFinalState(stored.state)) {
        // another object for a task already final here: the first final state wins
        refused.push(task.task_id);
      } else {
        this.state.addTask(task);
        journal?.markTask(task, true);
      }
    }
    return journal ? journal.flushed().then(() => refused) : Promise.resolve(refused);
  }

  async getTasks(taskIds: string[]): Promise<(TaskRecord | undefined)[]> {
    const map = this.state.tasks;
    return taskIds.map((id) => map.get(id));
  }

  async listTasks(owner: string, query: TaskQuery): Promise<TaskRecord[]> {
    const tasks = this.state.ownerTasks(owner);
    const found: TaskRecord[] = [];
    for (let i = tasks.length - 1; i >= 0 && found.length < query.limit; i--) {
      if (isAfter(tasks[i], query.after) && matchesQuery(tasks[i], query)) found.push(tasks[i]);
    }
    return found;
  }

  async listUnfinishedTasks(): Promise<TaskRecord[]> {
    return [...this.state.tasks.values()].filter((task) => !isFinalState(task.state));
  }

  enqueue(endpointId: string, taskIds: string[]): Promise<void> {
    this.state.queue(endpointId).pushBack(taskIds);
    return this.log({ k: 'enq', e: endpointId, ids: taskIds });
  }

  /**
   * Resolves once the take is on file, and with it whatever was waiting to be written: tasks submitted in this
   * turn are taken in it too, and one that reached its endpoint before its record was on file would, after a
   * crash, have run without the hub knowing it (a flow would submit it again). A write that failed was reported
   * by the journal; the tasks go out all the same, as the hub holds them.
   */
  take(endpointId: string, max: number): Promise<string[]> {
    const ids = this.state.take(endpointId, max);
    if (ids.length === 0) return Promise.resolve(ids);
    return this.log({ k: 'take', e: endpointId, ids }).then(() => ids, () => ids);
  }

  requeue(endpointId: string, taskIds: string[]): Promise<void> {
    this.state.requeue(endpointId, taskIds);
    return this.log({ k: 'requeue', e: endpointId, ids: taskIds });
  }

  /** Not journaled: released ids are finished (or unknown) tasks, which a replay drops from queues anyway. */
  async release(endpointId: string, taskIds: string[]): Promise<void> {
    this.state.release(endpointId, taskIds);
  }

  async inFlight(endpointId: string): Promise<string[]> {
    return [...this.state.inflight(endpointId)];
  }

  async inFlightCounts(endpointIds: string[]): Promise<number[]> {
    return endpointIds.map((endpointId) => this.state.inflight(endpointId).size);
  }

  async queueLength(endpointId: string): Promise<number> {
    return this.state.queue(endpointId).length;
  }

  async dropQueue(endpointId: string): Promise<string[]> {
    const ids = this.state.drop(endpointId);
    await this.log({ k: 'drop', e: endpointId });
    return ids;
  }

  refundAttempts(taskIds: string[]): Promise<void> {
    this.state.refund(taskIds);
    return this.log({ k: 'refund', ids: taskIds });
  }

  claim(endpointId: string, taskIds: string[]): Promise<void> {
    this.state.claim(endpointId, taskIds);
    return this.log({ k: 'claim', e: endpointId, ids: taskIds });
  }

  async keepAlive(endpointId: string, presence: PresenceRecord, presenceMs: number, leaseMs: number): Promise<void> {
    this.leases.keepAlive(endpointId, presence, presenceMs, leaseMs);
  }

  async endPresence(endpointId: string): Promise<void> {
    this.leases.endPresence(endpointId);
  }

  async getPresence(endpointIds: string[]): Promise<(PresenceRecord | undefined)[]> {
    return this.leases.getPresence(endpointIds);
  }

  async reapExpiredLeases(): Promise<ExpiredLease[]> {
    const expired: ExpiredLease[] = [];
    for (const endpointId of this.leases.expired(this.state.endpointsInFlight())) {
      const taskIds = [...this.state.inflight(endpointId)];
      if (taskIds.length > 0) await this.requeue(endpointId, taskIds);
      expired.push({ endpointId, taskIds });
    }
    return expired;
  }

  async close(): Promise<void> {
    clearInterval(this.trimTimer);
    clearInterval(this.usersTimer);
    await this.journal?.close();
    await this.flowStore.close();
    await this.accounts.close();
  }
}
