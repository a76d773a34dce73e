import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { nameProblem } from '@funcx/protocol';
import { newToken } from './auth/tokens.js';
import { USERS_FILE } from './store/account-ledger.js';
import { UsersFile } from './store/users-file.js';

function checkUserName(name: string): void {
  const problem = nameProblem('user', name);
  if (problem) throw new Error(problem);
}

/**
 * Adds a user (or a new token for an existing one) to the embedded store's users file and returns the token, at
 * once: what tests and embedders use beside a running hub (the CLI's `users add` also writes the audit log).
 */
export function addUser(dataDir: string, name: string): string {
  checkUserName(name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = new UsersFile(join(dataDir, USERS_FILE));
  const exists = file.readNew().some((entry) => entry.k === 'user' && entry.v.name === name);
  const { token, record } = newToken('user', name);
  file.append(exists ? [{ k: 'token', v: record }] : [{ k: 'user', v: { name, created_at: Date.now() } }, { k: 'token', v: record }]);
  return token;
}
