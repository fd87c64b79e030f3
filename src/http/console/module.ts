/**
 * The web console at `/console/`: the built single-page app (static files from `npm run build`)
 * and its sign-in API. Signing in exchanges the admin token for a session cookie and a CSRF token;
 * the console then calls the admin API with that cookie (see console-auth.ts). Without ADMIN_TOKEN
 * the console is off and every /console request is answered 503.
 *
 *   POST   /console/api/session  {token}  -> 201 {csrfToken, expiresAt} + Set-Cookie
 *   GET    /console/api/session           -> 200 {csrfToken, expiresAt} while signed in, else 401
 *   DELETE /console/api/session           -> 204, cookie cleared (needs the CSRF token)
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response } from 'express';
import type { Logger } from '../../log/logger';
import { sameSecret } from '../auth';
import type { HttpModule } from '../server';
import { csrfProblem, fromOtherSite } from './console-auth';
import { LoginThrottle } from './login-throttle';
import { consoleSecurityHeaders } from './security-headers';
import { clearSessionCookie, cookieMustBeSecure, readSessionId, setSessionCookie } from './session-cookie';
import type { ConsoleSession, ConsoleSessions } from './sessions';

export interface ConsoleModuleDeps {
  /** ADMIN_TOKEN; unset turns the console off. */
  adminToken: string | undefined;
  sessions: ConsoleSessions;
  /** Folder of the built console (index.html and assets/). */
  staticDir: string;
  /** PUBLIC_URL: an https one makes the cookie Secure. */
  publicUrl: string;
  /** Origins the page may connect to besides tolk (the Gemini Live WebSocket endpoint). */
  connectSources: readonly string[];
  logger: Logger;
  now?: () => number;
}

function sessionBody(s: ConsoleSession): { csrfToken: string; expiresAt: string } {
  return { csrfToken: s.csrfToken, expiresAt: new Date(s.expiresAt).toISOString() };
}

function sessionRouter(deps: ConsoleModuleDeps, now: () => number): express.Router {
  const router = express.Router();
  const throttle = new LoginThrottle();
  const adminToken = deps.adminToken ?? '';
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: '4kb' }));

  router.post('/session', (req: Request, res: Response) => {
    const client = req.ip ?? 'unknown';
    if (fromOtherSite(req)) {
      res.status(403).json({ error: 'cross-site request refused' });
      return;
    }
    const wait = throttle.retryAfterMs(client, now());
    if (wait > 0) {
      res.status(429).set('Retry-After', String(Math.ceil(wait / 1000))).json({ error: 'too many wrong tokens; try again later' });
      return;
    }
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (!req.is('application/json') || typeof token !== 'string' || token === '') {
      res.status(400).json({ error: 'send {"token": "<ADMIN_TOKEN>"} as JSON', problems: [{ path: ['token'], message: 'is required' }] });
      return;
    }
    if (token.length > 1024 || !sameSecret(token, adminToken)) {
      throttle.failed(client, now());
      deps.logger.warn({ event: 'console.sign_in_refused', ip: client }, 'console sign-in with a wrong token');
      res.status(401).json({ error: 'wrong admin token', problems: [{ path: ['token'], message: 'is not the admin token' }] });
      return;
    }
    throttle.succeeded(client);
    const at = now();
    deps.sessions.sweep(at);
    const session = deps.sessions.create(at);
    setSessionCookie(res, session.id, session.expiresAt, at, cookieMustBeSecure(req, deps.publicUrl));
    deps.logger.info({ event: 'console.signed_in', ip: client, sessions: deps.sessions.size }, 'console sign-in');
    res.status(201).json(sessionBody(session));
  });

  router.get('/session', (req: Request, res: Response) => {
    const id = readSessionId(req);
    const session = id === undefined ? undefined : deps.sessions.touch(id, now());
    if (!session) {
      res.status(401).json({ error: 'not signed in' });
      return;
    }
    res.json(sessionBody(session));
  });

  router.delete('/session', (req: Request, res: Response) => {
    const id = readSessionId(req);
    const session = id === undefined ? undefined : deps.sessions.touch(id, now());
    if (session) {
      const problem = csrfProblem(req, session);
      if (problem) {
        res.status(403).json({ error: problem });
        return;
      }
      deps.sessions.delete(session.id);
      deps.logger.info({ event: 'console.signed_out' }, 'console sign-out');
    }
    clearSessionCookie(res, cookieMustBeSecure(req, deps.publicUrl));
    res.status(204).end();
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  return router;
}

function staticFiles(staticDir: string): express.RequestHandler {
  const files = express.static(staticDir, {
    index: 'index.html',
    redirect: false,
    setHeaders(res, file) {
      // Built assets carry a content hash in their name; index.html must always be revalidated.
      const hashed = file.includes(`${path.sep}assets${path.sep}`);
      res.set('Cache-Control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, res, next) => {
    if (!fs.existsSync(path.join(staticDir, 'index.html'))) {
      res.status(503).type('text/plain').send('The console is not built: run `npm run build`.\n');
      return;
    }
    files(req, res, next);
  };
}

export function createConsoleModule(deps: ConsoleModuleDeps): HttpModule {
  const now = deps.now ?? Date.now;
  return {
    name: 'console',
    mount(app) {
      if (!deps.adminToken) {
        app.use('/console', (_req, res) => {
          res.status(503).type('text/plain').send('The console is off: set ADMIN_TOKEN to turn it on.\n');
        });
        return;
      }
      const headers = consoleSecurityHeaders(deps.connectSources);
      app.get('/console', (req, res, next) => {
        if (req.path === '/console') res.redirect(301, '/console/');
        else next();
      });
      app.use('/console/api', headers, sessionRouter(deps, now));
      app.use('/console', headers, staticFiles(deps.staticDir));
    },
  };
}
