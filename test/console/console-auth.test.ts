/**
 * The console's sign-in and how its session cookie reaches the admin API: cookie attributes, CSRF
 * on state-changing requests, sign-out, the security headers, and the console being off without
 * ADMIN_TOKEN. Bearer authentication keeps working exactly as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createConsole } from '../../src/http/console';
import { ConsoleSessions } from '../../src/http/console/sessions';
import { createAdminApi } from '../../src/http/admin-api';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { TOKEN, silent } from '../http/helpers/admin-app';

const NUMBER = { destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' };

function setup(opts: { token?: string | null; publicUrl?: string; trustProxy?: boolean; built?: boolean } = {}) {
  const adminToken = opts.token === null ? undefined : (opts.token ?? TOKEN);
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tolk-console-static-'));
  if (opts.built !== false) {
    fs.mkdirSync(path.join(staticDir, 'assets'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/app.js"></script>');
    fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'export {};');
  }
  const numbers = new InMemoryNumberStore();
  const web = createConsole({ adminToken, publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080', geminiApiUrl: 'http://127.0.0.1:8765', logger: silent, staticDir });
  const http = createHttpServer({
    logger: silent,
    readiness: new Readiness(),
    trustProxy: opts.trustProxy,
    modules: [createAdminApi({ calls: new InMemoryCallRecordStore(), numbers, adminToken, authenticate: web.authenticate }), web.module],
  });
  return { app: http.app, numbers, staticDir };
}

async function signIn(app: ReturnType<typeof setup>['app']) {
  const res = await request(app).post('/console/api/session').send({ token: TOKEN }).expect(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = setCookie[0].split(';')[0];
  return { cookie, csrf: (res.body as { csrfToken: string }).csrfToken, setCookie: setCookie[0], body: res.body as { csrfToken: string; expiresAt: string } };
}

describe('console sign-in', () => {
  it('exchanges the admin token for an HttpOnly, SameSite=Strict, expiring session cookie and a CSRF token', async () => {
    const { app } = setup();
    const { setCookie, body } = await signIn(app);
    expect(setCookie).toMatch(/^tolk_console=[A-Za-z0-9_-]{40,};/);
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=43200/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(11 * 3600_000);
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('makes the cookie Secure (with the __Host- prefix) behind https', async () => {
    const proxied = setup({ trustProxy: true });
    const res = await request(proxied.app).post('/console/api/session').set('X-Forwarded-Proto', 'https').send({ token: TOKEN }).expect(201);
    expect(String(res.headers['set-cookie'])).toMatch(/^__Host-tolk_console=.*; Secure/);
    const httpsPublic = setup({ publicUrl: 'https://tolk.example.com' });
    const res2 = await request(httpsPublic.app).post('/console/api/session').send({ token: TOKEN }).expect(201);
    expect(String(res2.headers['set-cookie'])).toMatch(/^__Host-tolk_console=.*; Secure/);
  });

  it('refuses a wrong token, a missing one, and a cross-site sign-in', async () => {
    const { app } = setup();
    const wrong = await request(app).post('/console/api/session').send({ token: `${TOKEN}x` }).expect(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(wrong.body.problems).toEqual([{ path: ['token'], message: 'is not the admin token' }]);
    await request(app).post('/console/api/session').send({}).expect(400);
    await request(app).post('/console/api/session').type('form').send(`token=${TOKEN}`).expect(400);
    await request(app).post('/console/api/session').set('Sec-Fetch-Site', 'cross-site').send({ token: TOKEN }).expect(403);
  });

  it('slows down guessing: after ten wrong tokens the address must wait', async () => {
    const { app } = setup();
    for (let i = 0; i < 10; i++) await request(app).post('/console/api/session').send({ token: `guess-${i}` }).expect(401);
    const res = await request(app).post('/console/api/session').send({ token: TOKEN }).expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('is off without ADMIN_TOKEN', async () => {
    const { app } = setup({ token: null });
    const page = await request(app).get('/console/').expect(503);
    expect(page.text).toMatch(/set ADMIN_TOKEN/);
    await request(app).post('/console/api/session').send({ token: 'anything-at-all-123' }).expect(503);
    await request(app).get('/api/numbers').set('Cookie', 'tolk_console=abc').expect(503);
  });
});

describe('the console session on the admin API', () => {
  it('reads with the cookie alone; refuses requests without any credentials', async () => {
    const { app } = setup();
    const { cookie } = await signIn(app);
    await request(app).get('/api/numbers').set('Cookie', cookie).expect(200);
    await request(app).get('/api/numbers').expect(401);
    await request(app).get('/api/numbers').set('Cookie', 'tolk_console=forged-session-id').expect(401);
  });

  it('refuses a state-changing request without the CSRF token, with a wrong one, or from another site', async () => {
    const { app, numbers } = setup();
    const { cookie, csrf } = await signIn(app);
    const put = () => request(app).put('/api/numbers/%2B15550001111').set('Cookie', cookie).send(NUMBER);
    expect((await put().expect(403)).body.error).toMatch(/CSRF/);
    await put().set('X-CSRF-Token', `${csrf}x`).expect(403);
    await put().set('X-CSRF-Token', csrf).set('Sec-Fetch-Site', 'cross-site').expect(403);
    await request(app).delete('/api/numbers/%2B15550001111').set('Cookie', cookie).expect(403);
    expect(await numbers.list()).toEqual([]);
    await put().set('X-CSRF-Token', csrf).set('Sec-Fetch-Site', 'same-origin').expect(201);
    expect((await numbers.list()).map((n) => n.number)).toEqual(['+15550001111']);
  });

  it('leaves bearer authentication as it was: an Authorization header is judged alone', async () => {
    const { app } = setup();
    const { cookie } = await signIn(app);
    await request(app).put('/api/numbers/%2B15550001111').set('Authorization', `Bearer ${TOKEN}`).send(NUMBER).expect(201);
    // A valid cookie does not rescue a wrong bearer token.
    const res = await request(app).get('/api/numbers').set('Cookie', cookie).set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('signs out: the session ends for every later request (sign-out itself needs the CSRF token)', async () => {
    const { app } = setup();
    const { cookie, csrf } = await signIn(app);
    await request(app).get('/console/api/session').set('Cookie', cookie).expect(200);
    await request(app).delete('/console/api/session').set('Cookie', cookie).expect(403);
    const out = await request(app).delete('/console/api/session').set('Cookie', cookie).set('X-CSRF-Token', csrf).expect(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^tolk_console=;.*Expires=Thu, 01 Jan 1970/);
    await request(app).get('/console/api/session').set('Cookie', cookie).expect(401);
    await request(app).get('/api/numbers').set('Cookie', cookie).expect(401);
  });
});

describe('console pages', () => {
  it('serves the built console with a strict Content-Security-Policy and no-store sign-in answers', async () => {
    const { app } = setup();
    await request(app).get('/console').expect(301).expect('Location', '/console/');
    const page = await request(app).get('/console/').expect(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:8765/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['permissions-policy']).toMatch(/microphone=\(self\)/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await request(app).get('/console/assets/app.js').expect(200);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    const session = await request(app).get('/console/api/session').expect(401);
    expect(session.headers['cache-control']).toBe('no-store');
  });

  it('says how to build the console when it is not built', async () => {
    const { app } = setup({ built: false });
    const res = await request(app).get('/console/').expect(503);
    expect(res.text).toMatch(/npm run build/);
  });
});

describe('ConsoleSessions', () => {
  it('ends a session after the idle timeout or the lifetime, and keeps at most maxSessions', () => {
    const sessions = new ConsoleSessions({ idleMs: 1000, lifetimeMs: 5000, maxSessions: 2 });
    const a = sessions.create(0);
    expect(sessions.touch(a.id, 900)).toBeDefined();
    expect(sessions.touch(a.id, 1800)).toBeDefined();
    expect(sessions.touch(a.id, 2800)).toBeUndefined(); // idle 1000 ms
    const b = sessions.create(0);
    for (let t = 500; t < 5000; t += 500) expect(sessions.touch(b.id, t)).toBeDefined();
    expect(sessions.touch(b.id, 5000)).toBeUndefined(); // lifetime
    const c = sessions.create(0);
    const d = sessions.create(0);
    const e = sessions.create(0);
    expect(sessions.size).toBe(2);
    expect(sessions.touch(c.id, 1)).toBeUndefined();
    expect(sessions.touch(d.id, 1)).toBeDefined();
    expect(sessions.touch(e.id, 1)).toBeDefined();
  });
});
