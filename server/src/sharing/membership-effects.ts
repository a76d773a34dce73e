import type { Access } from '../auth/access.js';
import type { EventFanout } from '../events/fanout.js';
import type { MembershipChange } from '../groups/membership.js';
import type { Store } from '../store/store.js';
import type { SharingService } from './service.js';

/**
 * What follows a change of membership, however it was made: deleted groups leave every sharing list, and users
 * who left a group are told which endpoints they no longer see.
 */
export async function applyMembershipChange(change: MembershipChange, store: Store, sharing: SharingService, access: Access, fanout: EventFanout): Promise<void> {
  if (change.deletedGroups.length > 0) {
    const deleted = new Set(change.deletedGroups);
    await sharing.forgetGroups((group) => deleted.has(group));
  }
  if (change.left.size === 0) return;
  const endpoints = (await store.listEndpoints()).filter((endpoint) => !endpoint.public && (endpoint.shared_with?.groups.length ?? 0) > 0);
  for (const [user, left] of change.left) {
    const hidden = endpoints
      .filter((endpoint) => endpoint.shared_with!.groups.some((group) => left.includes(group)) && !access.canUse(user, endpoint))
      .map((endpoint) => endpoint.endpoint_id);
    fanout.endpointsHidden(user, hidden);
  }
}
