import { createHash, randomBytes } from 'node:crypto';
import { FuncxError } from '@funcx/protocol';
import type { Store, TokenKind, TokenRecord } from '../store/store.js';

const PREFIX: Record<TokenKind, string> = { user: 'fxu_', endpoint: 'fxe_' };

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new random token and the record to store for it (the token itself is never stored). */
export function newToken(kind: TokenKind, subject: string): { token: string; record: TokenRecord } {
  const token = PREFIX[kind] + randomBytes(32).toString('base64url');
  return { token, record: { hash: hashToken(token), kind, subject, created_at: Date.now() } };
}

/** The subject of a valid token of this kind, or a 401 FuncxError saying what is wrong. */
export async function authenticate(store: Store, token: string | undefined, kind: TokenKind): Promise<string> {
  if (!token) throw new FuncxError('FUNCX_UNAUTHORIZED');
  const record = await store.getToken(hashToken(token));
  if (!record) {
    throw new FuncxError(
      'FUNCX_UNAUTHORIZED',
      kind === 'user'
        ? 'This token is not valid on this hub: use the token in ~/.funcx/credentials.json or one from "funcx-hub users add NAME"'
        : 'This endpoint token is not valid on this hub: run "funcx-endpoint configure NAME" again to get a new one',
    );
  }
  if (record.kind !== kind) {
    throw new FuncxError(
      'FUNCX_UNAUTHORIZED',
      kind === 'user'
        ? 'This is an endpoint token; use a user token here (see ~/.funcx/credentials.json)'
        : 'This is a user token; an endpoint connects with the endpoint_token from its config.yaml',
    );
  }
  return record.subject;
}

/** The token in an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}
