import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nameProblem } from '@funcx/protocol';
import { issueUserToken, newToken } from './auth/tokens.js';
import type { Store } from './store/store.js';
import { UsersFile } from './store/users-file.js';

function checkUserName(name: string): void {
  const problem = nameProblem('user', name);
  if (problem) throw new Error(problem);
}

/** Adds a user (or a new token for an existing one) to a shared store (Redis); returns the token. */
export function addUserToStore(store: Store, name: string): Promise<string> {
  checkUserName(name);
  return issueUserToken(store, name);
}

/** Adds a user (or a new token for an existing one) to the embedded store's users file; returns the token. */
export function addUser(dataDir: string, name: string): string {
  checkUserName(name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = new UsersFile(join(dataDir, 'users.jsonl'));
  const exists = file.readNew().some((entry) => entry.k === 'user' && entry.v.name === name);
  const { token, record } = newToken('user', name);
  file.append(exists ? [{ k: 'token', v: record }] : [{ k: 'user', v: { name, created_at: Date.now() } }, { k: 'token', v: record }]);
  return token;
}
