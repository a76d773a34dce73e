import { join } from 'node:path';
import type { AuditEntry, GroupRecord } from '@funcx/protocol';
import { AuditLog } from './audit-log.js';
import { MemoryState, type JournalEntry } from './memory-state.js';
import type { AccountStore, AuditQuery, AuditRecord, TokenKind, TokenRecord, UserRecord } from './store.js';
import { UsersFile } from './users-file.js';

export const USERS_FILE = 'users.jsonl';
export const AUDIT_FILE = 'audit.jsonl';

/**
 * Users, user tokens and groups of the embedded store, kept in a MemoryState and persisted in users.jsonl, with
 * the audit log beside them. Every process that changes them (the hub, `funcx-hub users …`, `funcx-hub groups …`)
 * appends to the same file and reads what the others appended before it answers: the file is the truth, each
 * line an assignment, so replaying it in order gives every reader the same state.
 */
export class AccountLedger implements AccountStore {
  constructor(
    readonly state: MemoryState,
    private readonly file: UsersFile | undefined,
    private readonly audit: AuditLog,
  ) {}

  /** The ledger of a data dir as the hub's CLI sees it while a hub may run on it. */
  static openDataDir(dataDir: string): AccountLedger {
    const ledger = new AccountLedger(new MemoryState(), new UsersFile(join(dataDir, USERS_FILE)), new AuditLog(join(dataDir, AUDIT_FILE)));
    ledger.refresh();
    return ledger;
  }

  /** Applies what other processes appended since the last look (a stat when nothing was); true when anything was. */
  refresh(): boolean {
    const entries = this.file?.readNew() ?? [];
    for (const entry of entries) this.state.apply(entry);
    return entries.length > 0;
  }

  private write(entries: JournalEntry[]): void {
    for (const entry of entries) this.state.apply(entry);
    this.file?.append(entries);
  }

  async putUser(user: UserRecord): Promise<void> {
    this.write([{ k: 'user', v: user }]);
  }

  async getUser(name: string): Promise<UserRecord | undefined> {
    this.refresh();
    return this.state.users.get(name);
  }

  async listUsers(): Promise<UserRecord[]> {
    this.refresh();
    return [...this.state.users.values()];
  }

  /** User tokens only: endpoint tokens belong to the hub's journal. */
  async putToken(token: TokenRecord): Promise<void> {
    this.write([{ k: 'token', v: token }]);
  }

  async getToken(hash: string): Promise<TokenRecord | undefined> {
    this.refresh();
    return this.state.tokens.get(hash);
  }

  async getTokens(hashes: string[]): Promise<(TokenRecord | undefined)[]> {
    this.refresh();
    return hashes.map((hash) => this.state.tokens.get(hash));
  }

  /** User tokens only, as putToken. */
  async deleteTokensOf(kind: TokenKind, subject: string): Promise<void> {
    this.write([{ k: 'untoken', kind, subject }]);
  }

  async countTokens(kind: TokenKind, subjects: string[]): Promise<number[]> {
    this.refresh();
    const counts = new Map<string, number>();
    for (const token of this.state.tokens.values()) {
      if (token.kind === kind) counts.set(token.subject, (counts.get(token.subject) ?? 0) + 1);
    }
    return subjects.map((subject) => counts.get(subject) ?? 0);
  }

  async createGroup(group: GroupRecord): Promise<boolean> {
    this.refresh();
    if (this.state.groups.has(group.name)) return false;
    this.write([{ k: 'group', v: group }]);
    return true;
  }

  async getGroup(name: string): Promise<GroupRecord | undefined> {
    this.refresh();
    return this.state.groups.get(name);
  }

  async listGroups(): Promise<GroupRecord[]> {
    this.refresh();
    return [...this.state.groups.values()];
  }

  async changeGroupMembers(name: string, add: string[], remove: string[]): Promise<GroupRecord | undefined> {
    this.refresh();
    if (!this.state.groups.has(name)) return undefined;
    this.write([{ k: 'members', name, add, remove }]);
    return this.state.groups.get(name);
  }

  async deleteGroup(name: string): Promise<boolean> {
    this.refresh();
    if (!this.state.groups.has(name)) return false;
    this.write([{ k: 'group-', name }]);
    return true;
  }

  appendAudit(entries: AuditRecord[]): Promise<void> {
    return this.audit.append(entries);
  }

  async readAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return this.audit.read(query);
  }

  close(): Promise<void> {
    return this.audit.close();
  }
}
