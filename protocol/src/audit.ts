/** What an audit entry records. */
export type AuditAction =
  | 'task.submit'
  | 'function.register'
  | 'function.delete'
  | 'function.share'
  | 'endpoint.register'
  | 'endpoint.delete'
  | 'endpoint.share'
  | 'endpoint.allowed_functions'
  | 'endpoint_group.create'
  | 'endpoint_group.change'
  | 'endpoint_group.share'
  | 'endpoint_group.delete'
  | 'user.add'
  | 'token.issue'
  | 'token.rotate'
  | 'token.revoke'
  | 'group.create'
  | 'group.change'
  | 'group.delete'
  | 'flow.deploy'
  | 'flow.update'
  | 'flow.delete'
  | 'flow.share'
  | 'flow.run'
  | 'flow.cancel'
  | 'flow.trigger'
  | 'session.end';

/**
 * Through what the action came: the REST API, the client socket, the hub's own CLI, an endpoint's hello, or a
 * flow run (a funcX action, a trigger).
 */
export type AuditChannel = 'rest' | 'socket' | 'cli' | 'endpoint' | 'flow';

/** One line of the hub's append-only audit log: who did what, where, when. */
export interface AuditEntry {
  /** Orders entries: `<epoch ms>-<sequence>`. */
  id: string;
  /** Epoch ms. */
  at: number;
  /** The user who acted (for the hub's CLI: the operating-system user who ran it). */
  user: string;
  action: AuditAction;
  via: AuditChannel;
  /** The endpoints acted on or run on. */
  endpoint_ids?: string[];
  /** The functions acted on or run. */
  function_ids?: string[];
  /** task.submit: how many tasks, and the batch or the single task. */
  task_count?: number;
  batch_id?: string;
  task_id?: string;
  /** flow.*: the flow, and the run. */
  flow_id?: string;
  run_id?: string;
  /** The user, group or endpoint group (`owner/name`) acted on. */
  target?: string;
  /** What changed (a sharing, members added and removed). */
  detail?: { [key: string]: unknown };
}

/** Most entries one audit query returns. */
export const MAX_AUDIT_LIMIT = 10_000;
