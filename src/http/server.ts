/**
 * The HTTP/WebSocket server: Express with express-ws. Concerns plug in as `HttpModule`s (Twilio
 * webhooks, the media WebSocket, the admin API, metrics), mounted by the composition root.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import expressWs from 'express-ws';
import type { Logger } from '../log/logger';
import { canonicalUrl } from './paths';
import type { Readiness } from './readiness';

export type WsApp = expressWs.Application;

/** Whether a WebSocket upgrade may go ahead; a refusal is answered with an HTTP status instead of 101. */
export type UpgradeVerdict = { ok: true } | { ok: false; status: number; message: string };

/** A feature that adds routes to the server. */
export interface HttpModule {
  readonly name: string;
  mount(app: WsApp): void;
  /**
   * Checks a WebSocket handshake before the upgrade (each module judges only its own paths).
   * `req.url` has its canonical path (see paths.ts): the same one the WebSocket routes see.
   */
  verifyUpgrade?(req: http.IncomingMessage): UpgradeVerdict;
}

export interface HttpServerDeps {
  logger: Logger;
  readiness: Readiness;
  modules?: HttpModule[];
  /** Honour X-Forwarded-* from a reverse proxy (for client IPs in logs only). */
  trustProxy?: boolean;
  /**
   * This instance's name in a cluster (TOLK_INSTANCE_ID): every answer says which instance gave
   * it (`X-Tolk-Instance`), health checks, errors and WebSocket handshakes included.
   */
  instance?: string;
}

export const INSTANCE_HEADER = 'X-Tolk-Instance';

export interface HttpServer {
  readonly app: WsApp;
  readonly server: http.Server;
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

export function createHttpServer(deps: HttpServerDeps): HttpServer {
  const base = express();
  const server = http.createServer(base);
  const guards = (deps.modules ?? []).filter((m) => m.verifyUpgrade !== undefined);
  const instance = deps.instance;
  const refusalHeaders = instance ? { [INSTANCE_HEADER]: instance } : undefined;
  const ws = expressWs(base, server, {
    wsOptions: {
      maxPayload: 64 * 1024,
      // A refused handshake gets a plain HTTP answer (e.g. 403): no WebSocket is ever opened.
      verifyClient: (info: { req: http.IncomingMessage }, done: (ok: boolean, status?: number, message?: string, headers?: http.OutgoingHttpHeaders) => void) => {
        // The path the checks judge is the path the routes see: however it was spelt.
        const canonical = canonicalUrl(info.req.url);
        if (!canonical.ok) return done(false, 400, canonical.reason, refusalHeaders);
        info.req.url = canonical.url;
        for (const m of guards) {
          const verdict = m.verifyUpgrade?.(info.req) ?? { ok: true };
          if (!verdict.ok) return done(false, verdict.status, verdict.message, refusalHeaders);
        }
        done(true);
      },
    },
  });
  // The WebSocket server re-emits the HTTP server's errors (e.g. EADDRINUSE from listen); they are
  // handled on the HTTP server itself (see listen), so the copy must not crash the process.
  ws.getWss().on('error', () => undefined);
  if (instance) ws.getWss().on('headers', (headers: string[]) => headers.push(`${INSTANCE_HEADER}: ${instance}`));
  const app = ws.app;
  app.disable('x-powered-by');
  if (deps.trustProxy) app.set('trust proxy', true);
  if (instance) {
    app.use((_req, res, next) => {
      res.set(INSTANCE_HEADER, instance);
      next();
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res, next) => {
    deps.readiness
      .report()
      .then((report) => res.status(report.ready ? 200 : 503).json(report))
      .catch(next);
  });

  for (const m of deps.modules ?? []) m.mount(app);

  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ error: 'not found' });
  });
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = httpStatusOf(err);
    if (status >= 500) deps.logger.error({ event: 'http.error', err, path: req.path }, 'request failed');
    if (!res.headersSent) res.status(status).json({ error: status >= 500 ? 'internal error' : errorMessage(err) });
  });

  return {
    app,
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}

function httpStatusOf(err: unknown): number {
  if (typeof err === 'object' && err !== null) {
    const s = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
    if (typeof s === 'number' && s >= 400 && s < 600) return s;
  }
  return 500;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : 'bad request';
}
