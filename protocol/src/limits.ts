/** Largest submission (REST body or socket message) the hub accepts. */
export const MAX_SUBMISSION_BYTES = 10 * 1024 * 1024;
/** Largest result (value, outputs and error together) an endpoint may return for one task. */
export const MAX_RESULT_BYTES = 10 * 1024 * 1024;
/** Most tasks in one batch submission. */
export const MAX_BATCH_TASKS = 50_000;
/** How often an endpoint daemon sends a heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 2_000;
/** Missed heartbeats after which the hub shows an endpoint offline. */
export const MISSED_HEARTBEATS_OFFLINE = 3;
/** Times a task is handed to endpoints before it fails because they kept losing it. */
export const MAX_TASK_ATTEMPTS = 3;
/** Default port of the hub. */
export const DEFAULT_HUB_PORT = 8470;
/** Largest single Socket.IO message the hub accepts (an endpoint keeps each batch of results under it). */
export const MAX_SOCKET_MESSAGE_BYTES = 64 * 1024 * 1024;
/**
 * How long the hub keeps tasks in flight at an endpoint without hearing from it (each heartbeat renews the
 * lease); when it runs out the tasks go back to the endpoint's queue. Longer than the offline threshold, so
 * an endpoint that reconnects after a short outage (its own or its hub's) finds its tasks still its own.
 */
export const TASK_LEASE_MS = 15_000;
/**
 * Deepest nesting of arrays and objects the hub and endpoints accept in any message (arguments, results,
 * reports): deeper values are refused where they arrive, with FUNCX_NESTED_TOO_DEEP, before anything parses
 * or stores them recursively.
 */
export const MAX_JSON_DEPTH = 64;
/** Longest timeout a task may ask for (two weeks); a longer run should checkpoint and resubmit. */
export const MAX_TASK_TIMEOUT_S = 14 * 24 * 3600;
