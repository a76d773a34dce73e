/**
 * Sessions: cells and calls of one user that share state on an endpoint, on one worker kept for them (as
 * ipyparallel's engines do). A session is named by its user (`session: NAME` on a task) and lives on one
 * endpoint; another user's session of the same name is another session.
 */

/** How long a session may sit without a task before its endpoint releases it (config session_idle_s). */
export const DEFAULT_SESSION_IDLE_S = 1800;

/** A session as its endpoint reports it (in each heartbeat). */
export interface SessionStatus {
  /** The user it belongs to. */
  owner: string;
  name: string;
  /** `ready`: its worker is up; `busy`: a task of it runs; `starting`: its worker is on its way. */
  state: 'starting' | 'ready' | 'busy';
  /** Tasks it has run since its namespace was last fresh. */
  tasks: number;
  /** Tasks of it waiting for their turn. */
  queued: number;
  /** Epoch ms when it last started or ended a task. */
  last_used: number;
  /** Epoch ms when its current namespace began. */
  started: number;
  /** Its namespace is gone (why: its worker exited, …); its next task starts afresh and says so. */
  restarted?: string;
}

/** A session as the hub shows it to its user: where it lives, and when it goes if nothing runs in it. */
export interface SessionView extends SessionStatus {
  endpoint_id: string;
  /** The endpoint as the user writes it (its name, or owner/name). */
  endpoint: string;
  /** Seconds without a task after which the endpoint releases it. */
  idle_s: number;
}

/** What a session's endpoint says of it beside its sessions (EndpointLoad). */
export interface SessionLimits {
  max_sessions: number;
  session_idle_s: number;
}

/** The ename of a session task that could not start its session because the endpoint holds as many as it may. */
export const SESSION_LIMIT_REACHED = 'SessionLimitReached';
/** The ename of a session task that was waiting or running when its user ended the session. */
export const SESSION_ENDED = 'SessionEnded';

/** The line a task's output starts with when its session's earlier namespace is gone. */
export function sessionRestartedLine(name: string, reason: string): string {
  return `session ${name} was restarted: ${reason}; earlier variables are gone\n`;
}

/** Sessions are kept per user: a session key is never shared between two owners. */
export function sessionKey(owner: string, name: string): string {
  return `${owner}\0${name}`;
}
