/**
 * The one spelling of a request path that both the WebSocket handshake checks and the routing
 * see, so no spelling can reach a route while dodging its check: percent-escapes decoded, repeated
 * slashes collapsed, no trailing slash, lower case (routing ignores case and a trailing slash).
 */

/** Longest request target taken apart; longer ones are refused. */
export const MAX_URL_LENGTH = 8192;

export type CanonicalUrl = { ok: true; path: string; url: string } | { ok: false; reason: string };

/** `url` (path and query, as in an HTTP request line) with its path made canonical. */
export function canonicalUrl(url: string | undefined): CanonicalUrl {
  const target = url ?? '/';
  if (target.length > MAX_URL_LENGTH) return { ok: false, reason: 'request target too long' };
  const q = target.indexOf('?');
  const rawPath = q < 0 ? target : target.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: 'path is not valid percent-encoding' };
  }
  path = path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1').toLowerCase();
  if (!path.startsWith('/')) path = `/${path}`;
  return { ok: true, path, url: path + (q < 0 ? '' : target.slice(q)) };
}
