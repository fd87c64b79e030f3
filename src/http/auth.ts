/**
 * Bearer-token protection for the admin API. The presented token is compared with ADMIN_TOKEN in
 * constant time (SHA-256 digests of both, then timingSafeEqual), so neither the token's content
 * nor its length leaks through response timing. Without ADMIN_TOKEN the API is switched off.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time equality of two secrets of any length (compares their SHA-256 digests). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The 401 answers' `error`: what was wrong, and what the request must carry instead. */
const MISSING_TOKEN = "missing bearer token: send the header 'Authorization: Bearer <token>' with the server's ADMIN_TOKEN";
const INVALID_TOKEN = "invalid bearer token: the token in 'Authorization: Bearer' is not the server's ADMIN_TOKEN";

/**
 * Middleware admitting requests with `Authorization: Bearer <adminToken>`. Answers 401 with
 * `WWW-Authenticate: Bearer` otherwise, and 503 for every request when `adminToken` is unset.
 */
export function bearerAuth(adminToken: string | undefined, realm = 'tolk'): RequestHandler {
  if (adminToken === undefined || adminToken === '') {
    return (_req, res) => {
      res.status(503).json({ error: 'admin API disabled: set ADMIN_TOKEN' });
    };
  }
  const expected = digest(adminToken);
  return (req, res, next) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (match && timingSafeEqual(digest(match[1]), expected)) {
      next();
      return;
    }
    const challenge = match ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`;
    res
      .status(401)
      .set('WWW-Authenticate', challenge)
      .json({ error: match ? INVALID_TOKEN : MISSING_TOKEN });
  };
}
