import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Data tokens: `USER.MAC`, the MAC an HMAC-SHA256 of the user under the daemon's data secret. A worker gets its
 * user's token only (it serves one user), so code that guesses another user's key, or forges a token, reads
 * nothing of theirs. The secret lives in the daemon and its managers, never in a worker's environment.
 */
export function dataSecret(): Buffer {
  return randomBytes(32);
}

export function dataToken(secret: Buffer, user: string): string {
  return `${Buffer.from(user).toString('base64url')}.${createHmac('sha256', secret).update(user).digest('base64url')}`;
}

/** The user a token was made for, or undefined when it was not made with this secret. */
export function tokenUser(secret: Buffer, token: unknown): string | undefined {
  if (typeof token !== 'string') return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const user = Buffer.from(token.slice(0, dot), 'base64url').toString();
  const expected = Buffer.from(createHmac('sha256', secret).update(user).digest('base64url'));
  const given = Buffer.from(token.slice(dot + 1));
  return given.length === expected.length && timingSafeEqual(given, expected) ? user : undefined;
}
