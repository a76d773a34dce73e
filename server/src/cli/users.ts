import type { Command } from 'commander';
import { table } from '@funcx/protocol';
import { addUser, issueToken, listUsers, revokeTokens } from '../accounts/users.js';
import { cliActor, storeFlags, withAccounts, type StoreFlags } from './account-store.js';

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `funcx-hub users add|list|revoke|rotate`. */
export function usersCommand(program: Command): void {
  const users = program.command('users').description('manage users and their tokens (works while the hub runs)');

  storeFlags(users.command('add <name>'))
    .description('create a user (or a new token for one) and print the token')
    .option('--admin', 'make the user a hub admin (may manage users, tokens and groups)')
    .action(async (name: string, flags: StoreFlags & { admin?: boolean }) => {
      print((await withAccounts(flags, (store) => addUser(store, cliActor(), name, flags.admin ?? false))).token);
    });

  storeFlags(users.command('list'))
    .description('list users: admin or not, how many tokens work, their groups')
    .action(async (flags: StoreFlags) => {
      const summaries = await withAccounts(flags, (store) => listUsers(store));
      const rows = summaries.map((user) => [
        user.name,
        user.admin ? 'yes' : 'no',
        String(user.tokens),
        user.groups.join(', '),
        new Date(user.created_at).toISOString(),
      ]);
      print(table(['NAME', 'ADMIN', 'TOKENS', 'GROUPS', 'CREATED'], rows));
    });

  storeFlags(users.command('revoke <name>'))
    .description('revoke every token of a user: REST calls fail at once, open sockets are closed within seconds')
    .action(async (name: string, flags: StoreFlags) => {
      const count = await withAccounts(flags, (store) => revokeTokens(store, cliActor(), name));
      print(`revoked ${count} token${count === 1 ? '' : 's'} of ${name}`);
    });

  storeFlags(users.command('rotate <name>'))
    .description("print a new token for a user and revoke all their others")
    .action(async (name: string, flags: StoreFlags) => {
      print((await withAccounts(flags, (store) => issueToken(store, cliActor(), name, true))).token);
    });
}
