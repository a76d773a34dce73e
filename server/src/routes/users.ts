import { FuncxError, type IssuedToken } from '@funcx/protocol';
import { addUser, assertAdmin, issueToken, listUsers, revokeTokens } from '../accounts/users.js';
import { actorOf } from '../auth/hook.js';
import { errorBody, nameParams, tokenRequest, userCreation } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

const errors = { 400: errorBody, 401: errorBody, 403: errorBody, 404: errorBody, 409: errorBody };
const issued = { type: 'object', properties: { user: { type: 'string' }, token: { type: 'string' }, revoked_others: { type: 'boolean' } } };

export const userRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.get('/users', {
    schema: { tags: ['users'], summary: 'Every user: admin or not, how many tokens work, groups (admins only)', response: errors },
  }, async (request) => {
    await assertAdmin(hub.store, request.user, 'list users');
    return listUsers(hub.store);
  });

  app.post<{ Body: { name: string; admin?: boolean } }>('/users', {
    schema: { tags: ['users'], summary: 'Create a user and issue their first token (admins only)', body: userCreation, response: { 201: issued, ...errors } },
  }, async (request, reply): Promise<IssuedToken> => {
    await assertAdmin(hub.store, request.user, 'add users');
    const { name, admin } = request.body;
    if (await hub.store.getUser(name)) {
      throw new FuncxError('FUNCX_NAME_TAKEN', `User "${name}" exists already: issue a further token with POST /v1/users/${name}/tokens`);
    }
    const { created: _created, ...token } = await addUser(hub.store, actorOf(request), name, admin ?? false);
    reply.code(201);
    return token;
  });

  app.post<{ Params: { name: string }; Body: { revoke_others?: boolean } | undefined }>('/users/:name/tokens', {
    // No body at all asks for a further token, as `{}` does.
    preValidation: async (request) => {
      request.body ??= {};
    },
    schema: {
      tags: ['users'],
      summary: 'Issue a token for a user; {"revoke_others": true} rotates: every other token of theirs stops working (admins, or the user)',
      params: nameParams,
      body: tokenRequest,
      response: { 201: issued, ...errors },
    },
  }, async (request, reply) => {
    const { name } = request.params;
    if (name !== request.user) await assertAdmin(hub.store, request.user, "issue another user's tokens");
    const token = await issueToken(hub.store, actorOf(request), name, request.body?.revoke_others ?? false);
    if (token.revoked_others) await hub.sessions.check();
    reply.code(201);
    return token;
  });

  app.delete<{ Params: { name: string } }>('/users/:name/tokens', {
    schema: {
      tags: ['users'],
      summary: "Revoke every token of a user: REST calls fail at once, the user's sockets are closed (admins, or the user)",
      params: nameParams,
      response: { 200: { type: 'object', properties: { user: { type: 'string' }, revoked: { type: 'integer' } } }, ...errors },
    },
  }, async (request) => {
    const { name } = request.params;
    if (name !== request.user) await assertAdmin(hub.store, request.user, "revoke another user's tokens");
    const revoked = await revokeTokens(hub.store, actorOf(request), name);
    await hub.sessions.check();
    return { user: name, revoked };
  });
};
