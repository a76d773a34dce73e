import type { ServerToClientEvents } from './events.js';

/**
 * Messages between hubs sharing a Redis on their client-event channels: the sending hub's id, a space, then the
 * body, so a hub skips its own without reading them. A body is JSON (on the shared channel, `HubEventDelivery[]`;
 * on a user's channel, that user's `TaskEvent[]`) or `!KIND ARGS…` (separated by spaces) for what hubs say
 * about themselves.
 */
export const HUB_EVENT_SEPARATOR = ' ';

/** The kinds of `!KIND ARGS…`. */
export const HUB_SAYS = {
  /** `!hello HUB`: hub HUB listens (publish from now on); answered by `!welcome HUB`. */
  hello: 'hello',
  welcome: 'welcome',
  /** `!bye HUB`: hub HUB listens no more; the others count who is left. */
  bye: 'bye',
  /** `!want HUB SEQ USER`: hub HUB listens for USER's task events now; answered by `!wanted HUB SEQ`. */
  want: 'want',
  wanted: 'wanted',
} as const;

/** One event as another hub delivers it: to everyone, to these users' clients, or to everyone but them. */
export type HubEventDelivery = [audience: 'all' | 'users' | 'all-but', users: string[], event: keyof ServerToClientEvents, payload: unknown];

/** A message from `hubId` with this body. */
export function hubEventMessage(hubId: string, body: string): string {
  return hubId + HUB_EVENT_SEPARATOR + body;
}

/** What a hub says about itself: `!KIND ARGS…`. */
export function hubSaying(kind: string, args: string[]): string {
  return [`!${kind}`, ...args].join(HUB_EVENT_SEPARATOR);
}
