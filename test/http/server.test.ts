import request from 'supertest';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';

const silent = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });

describe('http server', () => {
  it('answers /healthz while alive', async () => {
    const http = createHttpServer({ logger: silent, readiness: new Readiness() });
    await request(http.app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('reports /readyz from the registered checks and goes unready while draining', async () => {
    const readiness = new Readiness();
    let dbUp = true;
    readiness.register('db', () => dbUp);
    const http = createHttpServer({ logger: silent, readiness });
    await request(http.app).get('/readyz').expect(200);
    dbUp = false;
    const down = await request(http.app).get('/readyz').expect(503);
    expect(down.body).toEqual({ ready: false, draining: false, checks: { db: false } });
    dbUp = true;
    readiness.startDraining();
    await request(http.app).get('/readyz').expect(503);
  });

  it('treats a throwing or hanging check as not ready', async () => {
    const readiness = new Readiness();
    readiness.register('broken', () => {
      throw new Error('boom');
    });
    const http = createHttpServer({ logger: silent, readiness });
    const res = await request(http.app).get('/readyz').expect(503);
    expect(res.body.checks).toEqual({ broken: false });
  });

  it('mounts modules and answers unknown paths with a JSON 404', async () => {
    const http = createHttpServer({
      logger: silent,
      readiness: new Readiness(),
      modules: [{ name: 'hello', mount: (app) => app.get('/hello', (_q, r) => r.send('hi')) }],
    });
    await request(http.app).get('/hello').expect(200, 'hi');
    await request(http.app).get('/nope').expect(404, { error: 'not found' });
  });

  it("names the instance on every answer in a cluster: health checks, modules' routes, 404s and WebSocket handshakes", async () => {
    const http = createHttpServer({
      logger: silent,
      readiness: new Readiness(),
      instance: 'tolk-a',
      modules: [
        {
          name: 'hello',
          mount: (app) => {
            app.get('/hello', (_q, r) => r.send('hi'));
            app.ws('/socket', (ws) => ws.close());
          },
          verifyUpgrade: (req) => (req.url === '/socket' ? { ok: true } : { ok: false, status: 403, message: 'no' }),
        },
      ],
    });
    for (const path of ['/healthz', '/readyz', '/hello', '/nope']) {
      const res = await request(http.app).get(path);
      expect([path, res.headers['x-tolk-instance']]).toEqual([path, 'tolk-a']);
    }
    const addr = await http.listen(0, '127.0.0.1');
    try {
      const upgrade = (path: string) =>
        new Promise<IncomingMessage>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: addr.port, path, headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
          req.on('upgrade', (res: IncomingMessage, socket: Socket) => {
            socket.destroy();
            resolve(res);
          });
          req.on('response', (res: IncomingMessage) => {
            res.resume();
            resolve(res);
          });
          req.on('error', reject);
          req.end();
        });
      const accepted = await upgrade('/socket');
      expect([accepted.statusCode, accepted.headers['x-tolk-instance']]).toEqual([101, 'tolk-a']);
      const refused = await upgrade('/elsewhere');
      expect([refused.statusCode, refused.headers['x-tolk-instance']]).toEqual([403, 'tolk-a']);
    } finally {
      await http.close();
    }
    // A single instance names none.
    const single = createHttpServer({ logger: silent, readiness: new Readiness() });
    expect((await request(single.app).get('/healthz')).headers['x-tolk-instance']).toBeUndefined();
  });

  it('listens on an ephemeral port and closes cleanly', async () => {
    const http = createHttpServer({ logger: silent, readiness: new Readiness() });
    const addr = await http.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${addr.port}/healthz`);
    expect(res.status).toBe(200);
    await http.close();
    expect(http.server.listening).toBe(false);
  });
});
