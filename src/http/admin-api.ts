/**
 * The admin API under `/api`, behind the ADMIN_TOKEN bearer check or a console session (only the
 * OpenAPI document is public). Each resource contributes `ApiRoute`s (handler and OpenAPI operation
 * together); the router and `/api/openapi.json` are both built from `ADMIN_ROUTES`.
 */
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { quoted } from '../config/numbers-schema';
import type { AdminApiDeps, ApiRoute } from './admin/api-route';
import { callRoutes } from './admin/call-routes';
import { conferenceRoutes } from './admin/conference-routes';
import { deliveryRoutes } from './admin/delivery-routes';
import { eraseRoutes } from './admin/erase-routes';
import { jobRoutes } from './admin/job-routes';
import { languageRoutes } from './admin/language-routes';
import { liveRoutes } from './admin/live-routes';
import { numberRoutes } from './admin/number-routes';
import { openApiRoute } from './admin/openapi';
import { tokenRoutes } from './admin/token-routes';
import { bearerAuth } from './auth';
import type { HttpModule } from './server';

export type { AdminApiDeps } from './admin/api-route';

export const ADMIN_ROUTES: readonly ApiRoute[] = [
  openApiRoute(() => ADMIN_ROUTES),
  ...numberRoutes,
  ...languageRoutes,
  ...callRoutes,
  ...eraseRoutes,
  ...conferenceRoutes,
  ...tokenRoutes,
  ...liveRoutes(),
  ...jobRoutes,
  ...deliveryRoutes,
];

const JSON_BODY_WANTED = 'send the body as JSON with Content-Type: application/json';

/** A 415 for a body that is not JSON, saying what it came as. */
function refuseBody(req: Request, res: Response): void {
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  const sent =
    type === undefined || type === ''
      ? 'this one came without a Content-Type'
      : type === 'application/x-www-form-urlencoded'
        ? "this one came as a form (application/x-www-form-urlencoded, what curl -d sends unless given -H 'Content-Type: application/json')"
        : `this one came as ${quoted(type, 64)}`;
  res.status(415).json({ error: `${JSON_BODY_WANTED}; ${sent}` });
}

/**
 * Before a route that reads a JSON body: a body sent as anything else is answered 415, where
 * express.json would leave it unread and the route would call the body missing. A request without
 * a body goes on (the route says what it needs), and so does an empty one (`Content-Length: 0`,
 * or chunked with no chunk: only its end says so).
 */
const jsonBodyOnly: RequestHandler = (req, res, next) => {
  if (req.is('application/json')) {
    next();
    return;
  }
  if (Number(req.headers['content-length']) > 0) {
    refuseBody(req, res);
    return;
  }
  if (req.headers['transfer-encoding'] === undefined || req.readableEnded) {
    next();
    return;
  }
  let decided = false;
  const decide = (then: () => void) => () => {
    if (decided) return;
    decided = true;
    then();
  };
  // The first bytes make it a body (the rest is read and dropped); the end before any, none.
  req.on('data', decide(() => refuseBody(req, res)));
  req.once('end', decide(next));
  req.once('error', decide(() => undefined));
};

/** Where JSON.parse gave up, in words: `: it ends before the JSON is complete`, `at line 1, column 2`; '' when it does not say. */
function whereJsonBreaks(err: { message?: unknown; body?: unknown }): string {
  const message = typeof err.message === 'string' ? err.message : '';
  if (/end of JSON input/i.test(message)) return ': it ends before the JSON is complete';
  const at = /at position (\d+)/.exec(message);
  if (!at || typeof err.body !== 'string') return '';
  const before = err.body.slice(0, Number(at[1]));
  return ` at line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}`;
}

/** Turns body-parser failures into clear 4xx answers; anything else goes on to the server's handler. */
const bodyErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  const e = (err ?? {}) as { type?: unknown; message?: unknown; body?: unknown; charset?: unknown };
  if (e.type === 'entity.parse.failed') res.status(400).json({ error: `the request body is not valid JSON${whereJsonBreaks(e)}` });
  else if (e.type === 'entity.too.large') res.status(413).json({ error: 'the request body is too large (at most 100 kB)' });
  else if (e.type === 'charset.unsupported') res.status(415).json({ error: `${JSON_BODY_WANTED} in UTF-8; this one says charset=${quoted(String(e.charset), 32)}` });
  else next(err);
};

/** The `/api` router: public routes, then authentication, then the authenticated routes. */
export function createAdminRouter(deps: AdminApiDeps, routes: readonly ApiRoute[] = ADMIN_ROUTES): Router {
  const router = express.Router();
  for (const r of routes.filter((r) => r.auth === false)) router[r.method](r.path, r.handler(deps));
  router.use(deps.authenticate ?? bearerAuth(deps.adminToken));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Not strict: a body of `null` or a bare string is JSON, and the route says what it should be.
  router.use(express.json({ limit: '100kb', strict: false }));
  for (const r of routes.filter((r) => r.auth !== false)) router[r.method](r.path, ...(r.doc.requestBody ? [jsonBodyOnly] : []), r.handler(deps));
  router.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  router.use(bodyErrors);
  return router;
}

export function createAdminApi(deps: AdminApiDeps): HttpModule {
  return {
    name: 'admin-api',
    mount(app) {
      app.use('/api', createAdminRouter(deps));
    },
  };
}
