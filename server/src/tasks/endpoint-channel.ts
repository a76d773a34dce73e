import type { DispatchedTask, FunctionCode } from '@funcx/protocol';

/** The hub's line to one connected endpoint daemon, whatever carries it (today a Socket.IO socket). */
export interface EndpointChannel {
  /** Tasks to run, with the code of functions the endpoint has not been sent on this channel. */
  dispatch(batch: { tasks: DispatchedTask[]; functions: FunctionCode[] }): void;
  cancel(taskIds: string[]): void;
  /** Ends sessions of their owners (their workers stop). */
  endSessions(sessions: { owner: string; name: string }[]): void;
  /** Ends the connection; the daemon reconnects if the hub still accepts it. */
  close(): void;
}
