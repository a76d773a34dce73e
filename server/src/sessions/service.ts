import {
  FuncxError,
  endpointRef,
  sessionKey,
  type EndpointRecord,
  type SessionView,
} from '@funcx/protocol';
import { auditRecord, type Actor } from '../audit/entries.js';
import type { EndpointDirectory } from '../endpoints/directory.js';
import type { Store } from '../store/store.js';
import type { Dispatcher } from '../tasks/dispatcher.js';

/** How long a session task's endpoint is remembered here, until the endpoint's heartbeat reports the session. */
const PIN_MS = 10_000;
const MAX_PINS = 100_000;

/**
 * Sessions as their users see them: where each lives (from the endpoints' heartbeats), which endpoint a routed
 * session task must go to, and ending one. A user only ever sees and ends sessions of their own.
 */
export class SessionService {
  /** Session tasks this hub sent somewhere lately, before their endpoint can have reported their session. */
  private readonly recent = new Map<string, { endpointId: string; at: number }>();

  constructor(
    private readonly store: Store,
    private readonly endpoints: EndpointDirectory,
    private readonly dispatcher: Dispatcher,
  ) {}

  /** The endpoint among `candidateIds` where the user's session already lives, if it lives on one of them. */
  async pinned(user: string, session: string, candidateIds: string[]): Promise<string | undefined> {
    const reported = await Promise.all(candidateIds.map((id) => this.endpoints.sessions(id)));
    const index = reported.findIndex((sessions) => sessions.some((each) => each.owner === user && each.name === session));
    if (index !== -1) return candidateIds[index];
    const recent = this.recent.get(sessionKey(user, session));
    if (recent && Date.now() - recent.at < PIN_MS && candidateIds.includes(recent.endpointId)) return recent.endpointId;
    return undefined;
  }

  /** A session task goes to this endpoint: later routed tasks of the session follow it there. */
  sent(user: string, session: string, endpointId: string): void {
    const key = sessionKey(user, session);
    this.recent.delete(key);
    this.recent.set(key, { endpointId, at: Date.now() });
    if (this.recent.size > MAX_PINS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** The user's sessions on every endpoint they may use (optionally one), as the endpoints last reported them. */
  async list(user: string, endpointRefText?: string): Promise<SessionView[]> {
    const records = endpointRefText === undefined ? await this.endpoints.list(user) : [await this.endpoints.resolve(user, endpointRefText)];
    const views: SessionView[] = [];
    for (const endpoint of records) {
      const [sessions, view] = await Promise.all([this.endpoints.sessions(endpoint.endpoint_id), this.endpoints.view(endpoint)]);
      const idle = view.status.session_idle_s ?? 0;
      for (const session of sessions) {
        if (session.owner !== user) continue;
        views.push({ ...session, endpoint_id: endpoint.endpoint_id, endpoint: endpointRef(user, endpoint), idle_s: idle });
      }
    }
    return views.sort((a, b) => a.name.localeCompare(b.name) || a.endpoint.localeCompare(b.endpoint));
  }

  /**
   * Ends the user's session NAME: on the endpoint given, else on the one endpoint it lives on. 404 when it lives
   * nowhere (the message lists the user's sessions), 400 when it lives on several and none was named.
   */
  async end(actor: Actor, name: string, endpointRefText?: string): Promise<SessionView> {
    const user = actor.user;
    const mine = await this.list(user);
    let endpoint: EndpointRecord | undefined;
    if (endpointRefText !== undefined) endpoint = await this.endpoints.resolve(user, endpointRefText);
    const matches = mine.filter((session) => session.name === name && (!endpoint || session.endpoint_id === endpoint.endpoint_id));
    if (matches.length === 0) {
      const where = endpoint ? ` on endpoint ${endpointRef(user, endpoint)}` : '';
      const listed = mine.length === 0 ? 'you have none (an endpoint reports a session once a task has run in it)' : `yours: ${mine.map((each) => `${each.name} on ${each.endpoint}`).join(', ')}`;
      throw new FuncxError('FUNCX_SESSION_NOT_FOUND', `You have no session "${name}"${where}; ${listed}`);
    }
    if (matches.length > 1) {
      throw new FuncxError(
        'FUNCX_BAD_REQUEST',
        `Your session "${name}" lives on ${matches.length} endpoints (${matches.map((each) => each.endpoint).join(', ')}): name the one to end (?endpoint=, or --endpoint)`,
      );
    }
    const [session] = matches;
    this.recent.delete(sessionKey(user, name));
    this.dispatcher.endSessions(session.endpoint_id, [{ owner: user, name }]);
    await this.store.appendAudit([auditRecord(actor, 'session.end', { endpoint_ids: [session.endpoint_id], detail: { session: name } })]);
    return session;
  }
}
