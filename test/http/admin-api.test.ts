import request from 'supertest';
import { Readiness } from '../../src/http/readiness';
import { createHttpServer } from '../../src/http/server';
import { createAdminApi } from '../../src/http/admin-api';
import { InMemoryCallRecordStore } from '../../src/store/in-memory-call-record-store';
import { InMemoryNumberStore } from '../../src/config/number-store';
import { auth, CALL_1, CALL_1_END, CALL_1_LINE, silent, TOKEN } from './helpers/admin-app';

/** `null`: no ADMIN_TOKEN configured. */
async function setup(token: string | null = TOKEN) {
  const adminToken = token ?? undefined;
  const calls = new InMemoryCallRecordStore();
  await calls.create(CALL_1);
  await calls.appendUtterance('call-1', CALL_1_LINE);
  const http = createHttpServer({ logger: silent, readiness: new Readiness(), modules: [createAdminApi({ calls, numbers: new InMemoryNumberStore(), adminToken })] });
  return { app: http.app, calls };
}

describe('admin API authentication', () => {
  it('answers 401 with a Bearer challenge without a token', async () => {
    const { app } = await setup();
    const res = await request(app).get('/api/calls/call-1').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tolk"');
    expect(res.body).toEqual({ error: "missing bearer token: send the header 'Authorization: Bearer <token>' with the server's ADMIN_TOKEN" });
    expect(JSON.stringify(res.body)).not.toContain('Hola');
  });

  it.each([
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['an empty-looking token', 'Bearer  '],
    ['another scheme', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['the token without a scheme', TOKEN],
  ])('answers 401 for %s', async (_what, authorization) => {
    const { app } = await setup();
    const res = await request(app).get('/api/calls/call-1').set('Authorization', authorization).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="tolk"/);
  });

  it('flags a presented but wrong token as invalid_token', async () => {
    const { app } = await setup();
    const res = await request(app).get('/api/calls/call-1').set('Authorization', 'Bearer nope').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tolk", error="invalid_token"');
    expect(res.body).toEqual({ error: "invalid bearer token: the token in 'Authorization: Bearer' is not the server's ADMIN_TOKEN" });
  });

  it('accepts the right token, whatever the scheme case', async () => {
    const { app } = await setup();
    await request(app).get('/api/calls/call-1').set('Authorization', `bearer ${TOKEN}`).expect(200);
  });

  it('is disabled with 503 when no ADMIN_TOKEN is configured, even with a token', async () => {
    const { app } = await setup(null);
    await request(app).get('/api/calls/call-1').expect(503, { error: 'admin API disabled: set ADMIN_TOKEN' });
    await request(app)
      .get('/api/calls/call-1')
      .set('Authorization', 'Bearer anything')
      .expect(503, { error: 'admin API disabled: set ADMIN_TOKEN' });
  });

  it('leaves routes outside /api alone', async () => {
    const { app } = await setup();
    await request(app).get('/healthz').expect(200);
  });
});

describe('GET /api/calls/:id', () => {
  it('returns the record, its state and its transcript as JSON', async () => {
    const { app, calls } = await setup();
    await calls.update('call-1', CALL_1_END);
    const res = await request(app).get('/api/calls/call-1').set(auth).expect(200).expect('Content-Type', /json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      id: 'call-1',
      number: '+15550001111',
      from: '+34600000000',
      destination: '+15550002222',
      legs: [
        { role: 'caller', callSid: 'CA1', streamSid: 'MZ1', language: 'es' },
        { role: 'agent', callSid: 'CA2', streamSid: 'MZ2', language: 'en' },
      ],
      languages: { caller: 'es', agent: 'en' },
      state: 'ended',
      outcome: 'completed',
      startedAt: '2025-01-01T10:00:00.000Z',
      answeredAt: '2025-01-01T10:00:07.500Z',
      endedAt: '2025-01-01T10:01:00.000Z',
      // Connected from its answer to its end.
      durationMs: 52_500,
      transcript: [
        {
          direction: 'caller->agent',
          source: { text: 'Hola, tengo un problema con mi pedido.', languageCode: 'es' },
          translation: { text: 'Hello, I have a problem with my order.', languageCode: 'en' },
          startMs: 8200,
          endMs: 10900,
        },
      ],
      droppedUtterances: 0,
    });
  });

  it('shows utterances appended while the call goes on', async () => {
    const { app, calls } = await setup();
    await calls.appendUtterance('call-1', {
      direction: 'agent->caller',
      source: { text: 'Sure, what is the order number?', languageCode: 'en' },
      translation: { text: 'Claro, ¿cuál es el número de pedido?', languageCode: 'es' },
      startMs: 12000,
      endMs: 13900,
    });
    const res = await request(app).get('/api/calls/call-1').set(auth).expect(200);
    expect((res.body as { transcript: { direction: string }[] }).transcript.map((u) => u.direction)).toEqual(['caller->agent', 'agent->caller']);
  });

  it('answers 404 for an unknown call and for unknown API paths', async () => {
    const { app } = await setup();
    await request(app).get('/api/calls/nope').set(auth).expect(404, { error: "call 'nope' not found" });
    await request(app).get('/api/whatever').set(auth).expect(404, { error: 'not found' });
  });

  it('answers 501 on the job and delivery routes of a deployment without job queues or webhook deliveries', async () => {
    const { app } = await setup();
    const noJobs = { error: 'this deployment has no job queues' };
    const noDeliveries = { error: 'this deployment has no webhook deliveries' };
    await request(app).get('/api/jobs').set(auth).expect(501, noJobs);
    await request(app).get('/api/jobs/webhooks/delivery.1').set(auth).expect(501, noJobs);
    await request(app).get('/api/deliveries').set(auth).expect(501, noDeliveries);
    await request(app).get('/api/deliveries/d-1').set(auth).expect(501, noDeliveries);
    await request(app).post('/api/deliveries/d-1/retry').set(auth).expect(501, noDeliveries);
  });

  it('answers 501 on the routes of what a deployment lacks: placing calls, erasing them, the live feed, translation tokens', async () => {
    const { app } = await setup();
    const noOutbound = { error: 'this server cannot place calls' };
    const noErasing = { error: 'this server cannot erase calls' };
    const answers = [
      await request(app).post('/api/calls').set(auth).send({ line: '+15550001111', to: '+34600000000' }).expect(501, noOutbound),
      await request(app).post('/api/calls/erase').set(auth).send({ endedBefore: '2025-01-01' }).expect(501, noErasing),
      await request(app).post('/api/calls/sweep').set(auth).expect(501, noErasing),
      await request(app).get('/api/live/events').set(auth).expect(501, { error: 'live events are not available on this server' }),
      await request(app).post('/api/tokens').set(auth).send({ targetLanguage: 'es' }).expect(501, { error: 'this deployment mints no translation tokens' }),
    ];
    for (const res of answers) expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('answers 500 without details when the store fails', async () => {
    const calls = new InMemoryCallRecordStore();
    calls.get = () => Promise.reject(new Error('db down: password=hunter2'));
    const http = createHttpServer({ logger: silent, readiness: new Readiness(), modules: [createAdminApi({ calls, numbers: new InMemoryNumberStore(), adminToken: TOKEN })] });
    const res = await request(http.app).get('/api/calls/x').set(auth).expect(500);
    expect(res.body).toEqual({ error: 'internal error' });
  });
});
