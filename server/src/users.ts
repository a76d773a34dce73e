import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { issueUserToken, newToken } from './auth/tokens.js';
import type { Store } from './store/store.js';
import { UsersFile } from './store/users-file.js';

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) {
    throw new Error(`"${name}" is not a valid user name: use letters, digits, ".", "_", "@" or "-" (at most 64)`);
  }
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
