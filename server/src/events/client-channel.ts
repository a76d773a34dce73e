import type { ServerToClientEvents } from '@funcx/protocol';

type Args<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>;

/** Where events for users' clients go, whatever carries them (today the /client Socket.IO namespace). */
export interface ClientChannel {
  toAll<E extends keyof ServerToClientEvents>(event: E, ...args: Args<E>): void;
  /** To every client of these users. */
  toUsers<E extends keyof ServerToClientEvents>(users: string[], event: E, ...args: Args<E>): void;
  /** To every client except those of these users. */
  toAllBut<E extends keyof ServerToClientEvents>(users: string[], event: E, ...args: Args<E>): void;
  /** Ends every client connection it carries, so that each connects again and reads what it follows anew; how many. */
  reconnectAll?(): number;
}

/** Both channels, in turn. */
export function bothChannels(first: ClientChannel, second: ClientChannel): ClientChannel {
  return {
    toAll: (event, ...args) => {
      first.toAll(event, ...args);
      second.toAll(event, ...args);
    },
    toUsers: (users, event, ...args) => {
      first.toUsers(users, event, ...args);
      second.toUsers(users, event, ...args);
    },
    toAllBut: (users, event, ...args) => {
      first.toAllBut(users, event, ...args);
      second.toAllBut(users, event, ...args);
    },
    reconnectAll: () => (first.reconnectAll?.() ?? 0) + (second.reconnectAll?.() ?? 0),
  };
}
