import type { SharedRecord } from '../auth/access.js';
import type { Store } from '../store/store.js';

function without<T extends SharedRecord>(record: T, gone: (group: string) => boolean): T | undefined {
  const groups = record.shared_with?.groups;
  if (!groups || !groups.some(gone)) return undefined;
  return { ...record, shared_with: { users: record.shared_with!.users, groups: groups.filter((group) => !gone(group)) } };
}

/**
 * Takes groups that are gone out of every sharing list (of functions, endpoints and endpoint groups), so that a
 * group created later under the same name does not inherit what was shared with the old one. Returns how many
 * records changed.
 */
export async function forgetGroups(store: Store, gone: (group: string) => boolean): Promise<number> {
  const [functions, endpoints, endpointGroups] = await Promise.all([store.listFunctions(), store.listEndpoints(), store.listEndpointGroups()]);
  const writes: Promise<void>[] = [];
  for (const fn of functions) {
    const changed = without(fn, gone);
    if (changed) writes.push(store.putFunction(changed));
  }
  for (const endpoint of endpoints) {
    const changed = without(endpoint, gone);
    if (changed) writes.push(store.putEndpoint(changed));
  }
  for (const group of endpointGroups) {
    const changed = without(group, gone);
    if (changed) writes.push(store.putEndpointGroup(changed));
  }
  await Promise.all(writes);
  return writes.length;
}
