/**
 * Authentication of admin API requests that come from the console. A request with an
 * `Authorization` header is judged by the bearer check alone, exactly as before. A request without
 * one but with the console's session cookie is admitted while its session lives; a state-changing
 * request (anything but GET/HEAD/OPTIONS) must also carry the session's CSRF token in
 * `X-CSRF-Token` and must not come from another site (`Sec-Fetch-Site`). Everything else goes to
 * the bearer check, which answers 401.
 */
import type { Request, RequestHandler } from 'express';
import { sameSecret } from '../auth';
import type { ConsoleSession, ConsoleSessions } from './sessions';
import { readSessionId } from './session-cookie';

export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/** Refuses requests a browser marks as coming from another site (absent on non-browser clients). */
export function fromOtherSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/** Why a cookie-authenticated request is refused, or undefined when it may go ahead. */
export function csrfProblem(req: Request, session: ConsoleSession): string | undefined {
  if (isSafeMethod(req.method)) return undefined;
  if (fromOtherSite(req)) return 'cross-site request refused';
  const token = req.get(CSRF_HEADER);
  if (!token || token.length > 256 || !sameSecret(token, session.csrfToken)) return 'missing or wrong CSRF token';
  return undefined;
}

export interface ConsoleAwareAuthDeps {
  bearer: RequestHandler;
  sessions: ConsoleSessions;
  now?: () => number;
}

/** The admin API's authentication: bearer token, or a console session with CSRF protection. */
export function consoleAwareAuth(deps: ConsoleAwareAuthDeps): RequestHandler {
  const now = deps.now ?? Date.now;
  return (req, res, next) => {
    const id = req.get('authorization') === undefined ? readSessionId(req) : undefined;
    if (id === undefined) {
      deps.bearer(req, res, next);
      return;
    }
    const session = deps.sessions.touch(id, now());
    if (!session) {
      res.status(401).json({ error: 'console session expired or signed out; sign in again' });
      return;
    }
    const problem = csrfProblem(req, session);
    if (problem) {
      res.status(403).json({ error: problem });
      return;
    }
    next();
  };
}
