import type { Command } from 'commander';
import { table, type GroupRecord } from '@funcx/protocol';
import { changeGroupMembers, createGroup, deleteGroup, listGroups } from '../accounts/groups.js';
import { forgetGroups } from '../sharing/forget-groups.js';
import { cliActor, storeFlags, withAccounts, type StoreFlags } from './account-store.js';

function printGroup(group: GroupRecord): void {
  process.stdout.write(`${group.name}: ${group.members.length > 0 ? group.members.join(', ') : '(no members)'}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `funcx-hub groups create|add|remove|list|delete`. */
export function groupsCommand(program: Command): void {
  const groups = program.command('groups').description('manage groups of users to share functions and endpoints with (works while the hub runs)');

  storeFlags(groups.command('create <name>'))
    .description('create a group')
    .option('--member <user>', 'a member (repeat for more)', collect, [])
    .action(async (name: string, flags: StoreFlags & { member: string[] }) => {
      printGroup(await withAccounts(flags, (store) => createGroup(store, cliActor(), name, flags.member)));
    });

  storeFlags(groups.command('add <name> <users...>'))
    .description('add users to a group')
    .action(async (name: string, users: string[], flags: StoreFlags) => {
      printGroup(await withAccounts(flags, (store) => changeGroupMembers(store, cliActor(), name, users, [])));
    });

  storeFlags(groups.command('remove <name> <users...>'))
    .description('remove users from a group')
    .action(async (name: string, users: string[], flags: StoreFlags) => {
      printGroup(await withAccounts(flags, (store) => changeGroupMembers(store, cliActor(), name, [], users)));
    });

  storeFlags(groups.command('list'))
    .description('list groups and their members')
    .action(async (flags: StoreFlags) => {
      const all = await withAccounts(flags, (store) => listGroups(store));
      const rows = all.map((group) => [group.name, group.members.join(', '), group.created_by ?? '', new Date(group.created_at).toISOString()]);
      process.stdout.write(`${table(['NAME', 'MEMBERS', 'CREATED BY', 'CREATED'], rows)}\n`);
    });

  storeFlags(groups.command('delete <name>'))
    .description('delete a group: what was shared with it is no longer shared with its members')
    .action(async (name: string, flags: StoreFlags) => {
      await withAccounts(flags, async (store, records) => {
        await deleteGroup(store, cliActor(), name);
        // A running embedded hub does this itself when it notices the group is gone.
        if (records) await forgetGroups(records, (group) => group === name);
      });
      process.stdout.write(`deleted group ${name}\n`);
    });
}
