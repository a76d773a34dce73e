import { join } from 'node:path';
import type { FlowClock } from './flows/engine/clock.js';
import { DEFAULT_HUB_PORT } from '@funcx/protocol';
import { funcxHome } from '@funcx/node-common';

export interface HubOptions {
  host?: string;
  port?: number;
  /** "memory" (the embedded store, the default) or a Redis URL, redis://HOST:PORT/DB, shared by several hubs. */
  store?: string;
  /** How long the Redis store keeps finished tasks, in ms (0: forever); default a week. */
  resultRetentionMs?: number;
  /** How long in-flight tasks stay an endpoint's without a heartbeat; default TASK_LEASE_MS. Tests shorten it. */
  leaseMs?: number;
  /** Where the embedded store persists; undefined keeps everything in memory only. */
  dataDir?: string;
  /** Journal size at which the embedded store compacts while running; tests lower it. */
  compactAfterBytes?: number;
  /** Where credentials.json is written; undefined writes none. */
  funcxHome?: string;
  /** Name of the local user created on first start. */
  localUser?: string;
  logLevel?: string;
  /** Task submissions (REST or socket, a batch counts once) per second per user (0 = no limit). */
  rateLimit?: number;
  /** Requests of any kind (REST or socket) per second per user (0 = no limit). */
  requestRateLimit?: number;
  /** How long a request may take to arrive, headers and body (default 60 s). */
  requestTimeoutMs?: number;
  /** Submission size limit in bytes (REST body); defaults to MAX_SUBMISSION_BYTES. */
  bodyLimit?: number;
  /** Heartbeat interval endpoints are held to (offline after MISSED_HEARTBEATS_OFFLINE of them); tests shorten it. */
  heartbeatIntervalMs?: number;
  /** How long recorded results wait for a dispatch to carry their receipt (default RECEIPT_DELAY_MS); tests lengthen it. */
  receiptDelayMs?: number;
  /** How often group membership is reloaded from the store (default GROUP_REFRESH_MS); tests shorten it. */
  groupRefreshMs?: number;
  /** How long a hub beside others keeps hearing a user's task events after their last client here left (default 30 s); tests shorten it. */
  interestLingerMs?: number;
  /** How often the tokens of open client sockets are checked for revocation (default TOKEN_CHECK_MS). */
  tokenCheckIntervalMs?: number;
  /** The hub's URL as action providers reach it, for their callbacks (default: the URL it listens on). */
  publicUrl?: string;
  /** The only URL prefixes an Action state's ActionUrl may start with (none given: any http(s) URL). */
  actionUrlPrefixes?: string[];
  /** How long a hub's lease on a flow run lasts (default FLOW_RUN_LEASE_MS); tests shorten it. */
  flowLeaseMs?: number;
  /** First and longest wait between polls of an action (defaults ACTION_POLL_MIN_MS, ACTION_POLL_MAX_MS). */
  actionPollMinMs?: number;
  actionPollMaxMs?: number;
  /** How long a memoized result is used after its task finished, in ms (default a day). */
  memoTtlMs?: number;
  /** Bytes of memoized results kept per user (default 256 MiB); the oldest go first. */
  memoUserBytes?: number;
  /** The clock flows wait on (tests give one they move by hand). */
  flowClock?: FlowClock;
}

export const DEFAULT_RATE_LIMIT = 200;
export const DEFAULT_REQUEST_RATE_LIMIT = 2_000;

export function defaultDataDir(): string {
  return join(funcxHome(), 'hub');
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
export { DEFAULT_HUB_PORT };
