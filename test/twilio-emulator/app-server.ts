/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- tests read untyped JSON stream messages */
// A tiny stand-in for an application behind Twilio, written for these tests (not tolk's code):
// records every webhook, answers each path with a handler, and accepts Media Stream WebSockets.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { WebSocketServer, type WebSocket } from 'ws';
import twilio from 'twilio';

export interface Received {
  path: string;
  url: string;
  method: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface StreamConn {
  ws: WebSocket;
  headers: IncomingHttpHeaders;
  url: string;
  messages: Record<string, any>[];
  next(pred: (m: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  closed: Promise<void>;
}

export interface AppServer {
  base: string;
  wsBase: string;
  received: Received[];
  handle(path: string, twiml: string | ((r: Received) => string)): void;
  streams: StreamConn[];
  nextStream(timeoutMs?: number): Promise<StreamConn>;
  validSignature(r: Received, authToken: string): boolean;
  close(): Promise<void>;
}

export async function startAppServer(): Promise<AppServer> {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const received: Received[] = [];
  const handlers = new Map<string, string | ((r: Received) => string)>();
  let base = '';
  app.all(/.*/, (req, res) => {
    const r: Received = {
      path: req.path,
      url: base + req.originalUrl,
      method: req.method,
      params: { ...(req.body as Record<string, string>) },
      headers: req.headers,
    };
    received.push(r);
    const h = handlers.get(req.path);
    res.type('text/xml').send(typeof h === 'function' ? h(r) : (h ?? '<Response/>'));
  });
  const server: Server = createServer(app);
  const wss = new WebSocketServer({ server });
  const streams: StreamConn[] = [];
  const waiters: ((s: StreamConn) => void)[] = [];
  wss.on('connection', (ws, req) => {
    const messages: Record<string, any>[] = [];
    const listeners = new Set<() => void>();
    ws.on('message', (data, isBinary) => {
      if (isBinary) messages.push({ event: '<binary>' });
      else {
        try {
          messages.push(JSON.parse((data as Buffer).toString("utf8")));
        } catch {
          messages.push({ event: '<invalid-json>' });
        }
      }
      for (const l of [...listeners]) l();
    });
    const conn: StreamConn = {
      ws,
      headers: req.headers,
      url: req.url ?? '',
      messages,
      closed: new Promise((r) => ws.on('close', () => r())),
      next: (pred, timeoutMs = 10000) =>
        new Promise((resolve, reject) => {
          const check = (): boolean => {
            const m = messages.find(pred);
            if (m) {
              listeners.delete(check);
              clearTimeout(t);
              resolve(m);
            }
            return !!m;
          };
          const t = setTimeout(() => {
            listeners.delete(check);
            reject(new Error('timed out waiting for a stream message'));
          }, timeoutMs);
          if (!check()) listeners.add(check);
        }),
    };
    streams.push(conn);
    waiters.shift()?.(conn);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    base,
    wsBase: `ws://127.0.0.1:${port}`,
    received,
    streams,
    handle: (path, twiml) => void handlers.set(path, twiml),
    nextStream: (timeoutMs = 10000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no stream connected')), timeoutMs);
        waiters.push((s) => {
          clearTimeout(t);
          resolve(s);
        });
      }),
    validSignature: (r, authToken) => twilio.validateRequest(authToken, String(r.headers['x-twilio-signature']), r.url, r.method === 'POST' ? r.params : {}),
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A twilio SDK client whose requests go to the emulator instead of https://api.twilio.com. */
export function sdkClientFor(emulatorUrl: string, username: string, password: string, accountSid?: string) {
  const real = new twilio.RequestClient();
  const httpClient = {
    request: (o: Parameters<typeof real.request>[0]) => real.request({ ...o, uri: o.uri.replace('https://api.twilio.com', emulatorUrl) }),
  } as unknown as InstanceType<typeof twilio.RequestClient>;
  return twilio(username, password, { httpClient, accountSid });
}

/** A URL on a local port nothing listens on: a request to it is refused. */
export async function closedPortUrl(path: string): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}
