import type { FunctionSummary } from '@funcx/protocol';
import { CliError } from '@funcx/node-common';
import type { HubClient } from '../hub-client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The function a reference picks among those listed, and what to tell the user when the name repeats. */
export interface FunctionChoice {
  function_id: string;
  /** Said on stderr when several functions have the name: which one was taken and how to pick another. */
  note?: string;
}

/**
 * Picks a function by name (`mean`), by `owner/name` (one shared with you), or passes an id through. When a
 * name repeats (registered again, or shared with you by several owners), your own newest one wins, else the
 * newest; `note` says which was taken. Throws a CliError when nothing has that name.
 */
export function chooseFunction(ref: string, functions: readonly FunctionSummary[], user: string): FunctionChoice {
  if (UUID.test(ref)) return { function_id: ref };
  const slash = ref.indexOf('/');
  const owner = slash === -1 ? undefined : ref.slice(0, slash);
  const name = slash === -1 ? ref : ref.slice(slash + 1);
  const named = functions.filter((fn) => fn.name === name && (owner === undefined || fn.owner === owner));
  if (named.length === 0) {
    throw new CliError(`no function named ${ref} that you can run: see \`funcx functions\`, or give its id`, 2);
  }
  const own = named.filter((fn) => fn.owner === user);
  const pool = own.length > 0 ? own : named;
  const chosen = [...pool].sort((a, b) => b.created_at - a.created_at)[0];
  if (named.length === 1) return { function_id: chosen.function_id };
  const whose = chosen.owner === user ? 'yours' : `${chosen.owner}'s`;
  const when = new Date(chosen.created_at).toISOString().replace('T', ' ').slice(0, 19);
  return {
    function_id: chosen.function_id,
    note:
      `funcx: ${named.length} functions are named ${ref}; using ${chosen.function_id} (${whose}, the newest, registered ${when} UTC). ` +
      'Give an id (or OWNER/NAME) to pick another; `funcx functions` lists them.',
  };
}

/** Resolves a `--function` value (a name, OWNER/NAME or an id) to an id, saying on stderr which one it took. */
export async function resolveFunction(client: HubClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const [functions, { user }] = await Promise.all([client.listFunctions(), client.whoami()]);
  const choice = chooseFunction(ref, functions, user);
  if (choice.note) process.stderr.write(`${choice.note}\n`);
  return choice.function_id;
}
