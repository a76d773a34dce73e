import { DEFAULT_SESSION_IDLE_S } from '@funcx/protocol';

/** The fields of config.yaml that say how sessions are kept (see docs/sessions.md). */
export interface SessionConfig {
  /** Seconds a session may go without a task before its worker is released (default DEFAULT_SESSION_IDLE_S). */
  session_idle_s?: number;
  /** Most sessions the endpoint holds at once, every user's together (default: all workers but one, at least 1). */
  max_sessions?: number;
}

export const SESSION_CONFIG_FIELDS = ['session_idle_s', 'max_sessions'];
const MAX_SESSION_IDLE_S = 30 * 24 * 3600;
const MAX_SESSIONS = 100_000;

export function validateSessionConfig(data: Record<string, unknown>): SessionConfig {
  const config: SessionConfig = {};
  const idle = data.session_idle_s;
  if (idle !== undefined) {
    if (typeof idle !== 'number' || !Number.isFinite(idle) || idle <= 0 || idle > MAX_SESSION_IDLE_S) {
      throw new Error(`session_idle_s must be a number of seconds above 0 and at most ${MAX_SESSION_IDLE_S} (got ${JSON.stringify(idle)})`);
    }
    config.session_idle_s = idle;
  }
  const max = data.max_sessions;
  if (max !== undefined) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > MAX_SESSIONS) {
      throw new Error(`max_sessions must be a whole number from 0 (no sessions) to ${MAX_SESSIONS} (got ${JSON.stringify(max)})`);
    }
    config.max_sessions = max;
  }
  return config;
}

/**
 * What the endpoint allows: its max_sessions and its idle time. By default sessions may hold every worker but
 * one, so that tasks outside sessions always find one (an endpoint of one worker allows one session).
 */
export function sessionLimits(config: SessionConfig & { workers: number }): { max_sessions: number; session_idle_s: number } {
  return { max_sessions: config.max_sessions ?? Math.max(1, config.workers - 1), session_idle_s: config.session_idle_s ?? DEFAULT_SESSION_IDLE_S };
}
