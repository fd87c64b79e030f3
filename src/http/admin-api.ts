/**
 * The admin API under `/api`, behind the ADMIN_TOKEN bearer check or a console session (only the
 * OpenAPI document is public). Each resource contributes `ApiRoute`s (handler and OpenAPI operation
 * together); the router and `/api/openapi.json` are both built from `ADMIN_ROUTES`.
 */
import express, { type ErrorRequestHandler, type Router } from 'express';
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

/** Turns body-parser failures into clear 4xx answers; anything else goes on to the server's handler. */
const bodyErrors: ErrorRequestHandler = (err: unknown, _req, res, next) => {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') res.status(400).json({ error: 'the request body is not valid JSON' });
  else if (type === 'entity.too.large') res.status(413).json({ error: 'the request body is too large (at most 100 kB)' });
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
  for (const r of routes.filter((r) => r.auth !== false)) router[r.method](r.path, r.handler(deps));
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
