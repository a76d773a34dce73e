import type { GroupMembersChange } from '@funcx/protocol';
import { changeGroupMembers, createGroup, deleteGroup, listGroups } from '../accounts/groups.js';
import { assertAdmin } from '../accounts/users.js';
import { actorOf } from '../auth/hook.js';
import { errorBody, groupCreation, groupMembersChange, nameParams } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };

export const groupRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.get('/groups', {
    schema: { tags: ['groups'], summary: 'The groups you are in, with their members (an admin: every group)' },
  }, async (request) => {
    const admin = (await hub.store.getUser(request.user))?.admin ?? false;
    return listGroups(hub.store, admin ? undefined : request.user);
  });

  app.post<{ Body: { name: string; members?: string[] } }>('/groups', {
    schema: { tags: ['groups'], summary: 'Create a group (admins only)', body: groupCreation, response: errors },
  }, async (request, reply) => {
    await assertAdmin(hub.store, request.user, 'create groups');
    const group = await createGroup(hub.store, actorOf(request), request.body.name, request.body.members ?? []);
    await hub.groups.refresh();
    reply.code(201);
    return group;
  });

  app.put<{ Params: { name: string }; Body: GroupMembersChange }>('/groups/:name/members', {
    schema: { tags: ['groups'], summary: 'Add, then remove, members of a group (admins only)', params: nameParams, body: groupMembersChange, response: errors },
  }, async (request) => {
    await assertAdmin(hub.store, request.user, 'change groups');
    const group = await changeGroupMembers(hub.store, actorOf(request), request.params.name, request.body.add ?? [], request.body.remove ?? []);
    await hub.groups.refresh();
    return group;
  });

  app.delete<{ Params: { name: string } }>('/groups/:name', {
    schema: { tags: ['groups'], summary: 'Delete a group; it leaves every sharing list (admins only)', params: nameParams, response: errors },
  }, async (request, reply) => {
    await assertAdmin(hub.store, request.user, 'delete groups');
    const { name } = request.params;
    await deleteGroup(hub.store, actorOf(request), name);
    await hub.sharing.forgetGroups((group) => group === name);
    await hub.groups.refresh();
    reply.code(204);
  });
};
