/**
 * The admin API under `/api`, behind the ADMIN_TOKEN bearer check. Each resource registers its
 * routes through a small function over a shared router, so adding numbers, languages or call
 * listing later is one more entry in `ROUTES`, not a restructuring.
 */
import express, { type Router } from 'express';
import type { CallRecordStore } from '../store/call-record-store';
import { bearerAuth } from './auth';
import type { HttpModule } from './server';

export interface AdminApiDeps {
  calls: CallRecordStore;
  /** ADMIN_TOKEN; when unset every /api request is answered 503. */
  adminToken: string | undefined;
}

type RouteRegistrar = (router: Router, deps: AdminApiDeps) => void;

/** `GET /api/calls/:id`: the call's record, state and transcript. */
const callRoutes: RouteRegistrar = (router, { calls }) => {
  router.get('/calls/:id', async (req, res) => {
    const call = await calls.get(req.params.id);
    if (!call) {
      res.status(404).json({ error: `call '${req.params.id}' not found` });
      return;
    }
    res.json(call);
  });
};

const ROUTES: readonly RouteRegistrar[] = [callRoutes];

export function createAdminApi(deps: AdminApiDeps): HttpModule {
  return {
    name: 'admin-api',
    mount(app) {
      const router = express.Router();
      router.use(bearerAuth(deps.adminToken));
      router.use((_req, res, next) => {
        res.set('Cache-Control', 'no-store');
        next();
      });
      router.use(express.json({ limit: '100kb' }));
      for (const register of ROUTES) register(router, deps);
      router.use((_req, res) => {
        res.status(404).json({ error: 'not found' });
      });
      app.use('/api', router);
    },
  };
}
