/**
 * Messages between hubs on their client-event channels: the sending hub's id, a space, then the body, so a hub
 * skips its own without reading them. A body is a JSON array of events, or `!KIND ARGS…` (separated by spaces)
 * for what hubs say about themselves.
 */
export const SEPARATOR = ' ';

export const HELLO = 'hello';
export const WELCOME = 'welcome';
/** A hub that leaves says so, once it listens no more: the others count who is left. */
export const BYE = 'bye';
/** `!want HUB SEQ USER`: hub HUB listens for USER's task events now; `!wanted HUB SEQ` answers it. */
export const WANT = 'want';
export const WANTED = 'wanted';

/** A message from `hubId` with this body. */
export function fromHub(hubId: string, body: string): string {
  return hubId + SEPARATOR + body;
}

/** What a hub says about itself: `!KIND ARGS…`. */
export function saying(kind: string, args: string[]): string {
  return [`!${kind}`, ...args].join(SEPARATOR);
}
