/**
 * The console's session cookie: HttpOnly, SameSite=Strict, Path=/ (the console's API calls go to
 * /api as well), expiring with the session, and Secure with the `__Host-` prefix whenever the
 * console is reached over https (directly, through a trusted proxy, or because PUBLIC_URL is https).
 */
import { parse } from 'cookie';
import type { Request, Response } from 'express';

export const SESSION_COOKIE = 'tolk_console';
export const SECURE_SESSION_COOKIE = '__Host-tolk_console';

/** Whether the session cookie must be Secure for this request. */
export function cookieMustBeSecure(req: Request, publicUrl: string): boolean {
  return req.secure || publicUrl.startsWith('https:');
}

/** The session id the request carries, if any. */
export function readSessionId(req: Request): string | undefined {
  const header = req.headers.cookie;
  if (!header || header.length > 8192) return undefined;
  const cookies = parse(header);
  return cookies[SECURE_SESSION_COOKIE] ?? cookies[SESSION_COOKIE];
}

export function setSessionCookie(res: Response, id: string, expiresAt: number, now: number, secure: boolean): void {
  res.cookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, id, {
    httpOnly: true,
    secure,
    sameSite: 'strict',
    path: '/',
    maxAge: Math.max(0, expiresAt - now),
  });
}

export function clearSessionCookie(res: Response, secure: boolean): void {
  res.clearCookie(secure ? SECURE_SESSION_COOKIE : SESSION_COOKIE, { httpOnly: true, secure, sameSite: 'strict', path: '/' });
}
