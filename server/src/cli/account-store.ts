import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import type { Actor } from '../audit/entries.js';
import { localUserName } from '../hub.js';
import { defaultDataDir } from '../options.js';
import { AccountLedger } from '../store/account-ledger.js';
import { openStore, storeSpecError } from '../store/open-store.js';
import type { AccountStore, Store } from '../store/store.js';

export interface StoreFlags {
  dataDir?: string;
  store: string;
}

/** The --data-dir and --store flags every command that changes users, groups or reads the audit log takes. */
export function storeFlags(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'directory of the embedded store (default $FUNCX_HOME/hub)')
    .option('--store <kind>', 'the store of the hub: memory (default) or redis://HOST:PORT/DB', 'memory');
}

/** The operator of the hub's host, as the audit log names them. */
export function cliActor(): Actor {
  return { user: localUserName(), via: 'cli' };
}

/**
 * Runs `work` on the hub's accounts: the embedded store's files (beside a running hub, which notices within a
 * second) or the Redis store (every hub on it sees the change at once). With Redis, `records` is the whole
 * store (functions and endpoints too); the embedded store's records belong to its hub.
 */
export async function withAccounts<T>(flags: StoreFlags, work: (store: AccountStore, records?: Store) => Promise<T>): Promise<T> {
  if (flags.store === 'memory') {
    const dataDir = flags.dataDir ?? defaultDataDir();
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const ledger = AccountLedger.openDataDir(dataDir);
    try {
      return await work(ledger);
    } finally {
      await ledger.close();
    }
  }
  const storeError = storeSpecError(flags.store);
  if (storeError) throw new Error(storeError);
  const store = await openStore({ store: flags.store });
  try {
    return await work(store, store);
  } finally {
    await store.close();
  }
}
