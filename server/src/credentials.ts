import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CREDENTIALS_FILE, type Credentials } from '@funcx/protocol';
import { addUser } from './accounts/users.js';
import { hashToken } from './auth/tokens.js';
import type { Store } from './store/store.js';

/**
 * Makes `$FUNCX_HOME/credentials.json` (mode 600) hold this hub's URL and a valid token of the local user:
 * a token already there that this hub accepts is kept, otherwise a new one is issued. The user of that token
 * is a hub admin.
 */
export async function ensureCredentials(store: Store, funcxHome: string, hubUrl: string, localUser: string): Promise<{ file: string; credentials: Credentials }> {
  const file = join(funcxHome, CREDENTIALS_FILE);
  let token: string | undefined;
  let user = localUser;
  try {
    const existing = JSON.parse(readFileSync(file, 'utf8')) as Partial<Credentials>;
    const record = typeof existing.token === 'string' ? await store.getToken(hashToken(existing.token)) : undefined;
    if (record?.kind === 'user') {
      token = existing.token;
      user = record.subject;
    }
  } catch {
    // missing or unreadable: a new token is written below
  }
  token ??= (await addUser(store, { user: localUser, via: 'cli' }, localUser, true)).token;
  const userRecord = await store.getUser(user);
  if (userRecord && !userRecord.admin) await store.putUser({ ...userRecord, admin: true });
  const credentials: Credentials = { hub_url: hubUrl, token };
  mkdirSync(funcxHome, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { file, credentials };
}
