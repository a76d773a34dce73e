import { FuncxError } from '@funcx/protocol';
import { parseTime } from '../audit/entries.js';
import { DEFAULT_AUDIT_LIMIT, MAX_AUDIT_LIMIT, auditQuery, errorBody } from '../schemas.js';
import type { HubPlugin } from '../http/hub-context.js';

interface AuditQueryString {
  user?: string;
  since?: string;
  limit?: string;
}

/** `since` as epoch ms: a number of milliseconds or a date. */
function sinceOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = parseTime(value);
  if (!Number.isFinite(at)) throw new FuncxError('FUNCX_BAD_REQUEST', `since=${value} is neither epoch milliseconds nor a date such as 2026-12-01T10:00:00Z`);
  return at;
}

export const auditRoutes: HubPlugin = async (app) => {
  const { hub } = app;
  app.get<{ Querystring: AuditQueryString }>('/audit', {
    schema: {
      tags: ['audit'],
      summary: 'Who did what where, newest last: ?user=&since=&limit= (admins see everyone, others themselves)',
      querystring: auditQuery,
      response: { 400: errorBody, 401: errorBody, 403: errorBody },
    },
  }, async (request) => {
    const admin = (await hub.store.getUser(request.user))?.admin ?? false;
    const { user, since, limit } = request.query;
    if (!admin && user !== undefined && user !== request.user) {
      throw new FuncxError('FUNCX_FORBIDDEN', `Only a hub admin may read the audit entries of another user: leave out user= to read your own`);
    }
    const count = limit === undefined ? DEFAULT_AUDIT_LIMIT : Number(limit);
    if (count < 1 || count > MAX_AUDIT_LIMIT) throw new FuncxError('FUNCX_BAD_REQUEST', `limit must be from 1 to ${MAX_AUDIT_LIMIT}`);
    return hub.store.readAudit({ user: admin ? user : request.user, since: sinceOf(since), limit: count });
  });
};
