import { CLIENT_NAMESPACE } from '@funcx/protocol';

/**
 * Where the client namespace of a hub at `hubUrl` is. A hub behind a proxy under a path prefix (JupyterHub or
 * Binder: `…/proxy/8470/`) serves Socket.IO under that prefix too, and socket.io-client takes the prefix as its
 * `path` option, not from the URL. A relative `hubUrl` (same origin) resolves against the page's address.
 */
export function socketTarget(hubUrl: string): { url: string; path: string } {
  const page = (globalThis as { location?: { href: string } }).location?.href;
  const hub = new URL(hubUrl || '/', page);
  const prefix = hub.pathname.replace(/\/+$/, '');
  return { url: `${hub.origin}${CLIENT_NAMESPACE}`, path: `${prefix}/socket.io` };
}
