import { FuncxError } from '@funcx/protocol';
import type { ClientNamespace, ClientSocket } from '../sockets/types.js';
import type { Store } from '../store/store.js';

/** How often a hub checks that the tokens of its open client sockets still work. */
export const TOKEN_CHECK_MS = 2_000;

/**
 * Closes client sockets whose token was revoked or rotated away, wherever that happened (this hub, the CLI,
 * another hub): every TOKEN_CHECK_MS it looks up the tokens of its open sockets in one store call, and at once
 * after a revocation through this hub. The socket is told why before it is closed.
 */
export class SessionGuard {
  private namespace: ClientNamespace | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly onError: (error: unknown) => void,
  ) {}

  attach(namespace: ClientNamespace, intervalMs = TOKEN_CHECK_MS): void {
    this.namespace = namespace;
    this.stop();
    this.timer = setInterval(() => this.check().catch(this.onError), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  check(): Promise<void> {
    this.checking ??= this.closeRevoked().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async closeRevoked(): Promise<void> {
    const sockets = this.namespace?.sockets;
    if (!sockets || sockets.size === 0) return;
    const byHash = new Map<string, ClientSocket[]>();
    for (const socket of sockets.values()) {
      const hash = socket.data.tokenHash;
      let list = byHash.get(hash);
      if (!list) byHash.set(hash, (list = []));
      list.push(socket);
    }
    const hashes = [...byHash.keys()];
    const records = await this.store.getTokens(hashes);
    for (let i = 0; i < hashes.length; i++) {
      if (records[i]) continue;
      for (const socket of byHash.get(hashes[i])!) {
        const error = new FuncxError(
          'FUNCX_UNAUTHORIZED',
          `The token of this connection (user ${socket.data.user}) was revoked: get a new one from an admin ("funcx-hub users rotate ${socket.data.user}") and connect again`,
        );
        socket.emit('session:revoked', error.toBody());
        socket.disconnect(true);
      }
    }
  }
}
