import request from 'supertest';
import { InMemoryNumberStore, type NumberStore } from '../../src/config/number-store';
import { adminSetup, auth, DE_LINE, ES_LINE } from './helpers/admin-app';

const enc = encodeURIComponent;

describe('GET /api/numbers', () => {
  it('lists every number, ordered by number', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).get('/api/numbers').set(auth).expect(200).expect('Content-Type', /json/);
    expect(res.body).toEqual({ numbers: [ES_LINE, DE_LINE] });
  });

  it('needs the token', async () => {
    const { http } = await adminSetup();
    await request(http.app).get('/api/numbers').expect(401);
    await request(http.app).put(`/api/numbers/${enc(ES_LINE.number)}`).send({}).expect(401);
    await request(http.app).delete(`/api/numbers/${enc(ES_LINE.number)}`).expect(401);
    const disabled = await adminSetup({ token: null });
    await request(disabled.http.app).get('/api/numbers').set(auth).expect(503, { error: 'admin API disabled: set ADMIN_TOKEN' });
    await request(disabled.http.app).get('/api/languages').set(auth).expect(503);
  });
});

describe('GET /api/numbers/:number', () => {
  it('returns the settings, whether + is encoded or not and in common notations', async () => {
    const { http } = await adminSetup();
    for (const path of [enc('+15550001111'), '+15550001111', enc('+1 555-000-1111')]) {
      const res = await request(http.app).get(`/api/numbers/${path}`).set(auth).expect(200);
      expect(res.body).toEqual(ES_LINE);
    }
  });

  it('answers 404 for a number tolk does not serve and 400 for something that is not a number', async () => {
    const { http } = await adminSetup();
    await request(http.app).get(`/api/numbers/${enc('+15559999999')}`).set(auth).expect(404, { error: 'number +15559999999 is not configured' });
    const res = await request(http.app).get('/api/numbers/sales').set(auth).expect(400);
    expect(res.body).toEqual({
      error: 'invalid number',
      problems: [{ path: ['number'], message: expect.stringContaining("'sales' is not an E.164 number") as unknown }],
    });
  });
});

describe('PUT /api/numbers/:number', () => {
  const newLine = { destination: 'client:alice', callerLanguage: 'fr', agentLanguage: 'en' };

  it('creates a number with defaults (201) and the next lookup sees it', async () => {
    const { http, numbers } = await adminSetup();
    const res = await request(http.app).put(`/api/numbers/${enc('+15550005555')}`).set(auth).send(newLine).expect(201);
    expect(res.body).toMatchObject({ number: '+15550005555', ...newLine, echoTargetLanguage: false, originalVolume: 0.16 });
    await expect(numbers.lookup('+15550005555')).resolves.toMatchObject({ callerLanguage: 'fr', destination: 'client:alice' });
    await request(http.app).get(`/api/numbers/${enc('+15550005555')}`).set(auth).expect(200, res.body);
  });

  it('replaces a number (200): the next call reads the new languages, left-out settings take defaults', async () => {
    const { http, numbers } = await adminSetup();
    const res = await request(http.app)
      .put(`/api/numbers/${enc(ES_LINE.number)}`)
      .set(auth)
      .send({ number: ES_LINE.number, destination: ES_LINE.destination, callerLanguage: 'pt-BR', agentLanguage: 'en' })
      .expect(200);
    expect(res.body).not.toHaveProperty('greeting');
    const next = await numbers.lookup('+15550001111');
    expect(next).toMatchObject({ callerLanguage: 'pt-BR', originalVolume: 0.16 });
    expect(next).not.toHaveProperty('greeting');
  });

  it('sets a conference mode and interpretation; an unknown one is a 400 naming the accepted words', async () => {
    const { http, numbers } = await adminSetup();
    const res = await request(http.app).put(`/api/numbers/${enc('+15550005555')}`).set(auth).send({ ...newLine, mode: 'conference', interpretation: 'open' }).expect(201);
    expect(res.body).toMatchObject({ mode: 'conference', interpretation: 'open' });
    await expect(numbers.lookup('+15550005555')).resolves.toMatchObject({ mode: 'conference', interpretation: 'open' });
    const bad = await request(http.app).put(`/api/numbers/${enc('+15550005555')}`).set(auth).send({ ...newLine, mode: 'meeting', interpretation: 'loud' }).expect(400);
    expect((bad.body as { problems: unknown[] }).problems).toEqual([
      { path: ['mode'], message: expect.stringMatching(/^'meeting' is not a mode .*: use 'direct' or 'conference'$/) as unknown },
      { path: ['interpretation'], message: expect.stringMatching(/^'loud' is not an interpretation .*: use 'whisper' or 'open'$/) as unknown },
    ]);
  });

  it('refuses conference mode on a server that cannot interpret conferences (no TWILIO_TWIML_APP_SID), saying how to set it up', async () => {
    const { http, numbers } = await adminSetup({ conferencesConfigured: false });
    const res = await request(http.app).put(`/api/numbers/${enc('+15550005555')}`).set(auth).send({ ...newLine, mode: 'conference' }).expect(400);
    expect((res.body as { problems: unknown[] }).problems).toEqual([{ path: ['mode'], message: expect.stringMatching(/TWILIO_TWIML_APP_SID.*tolk twilio configure-app/) as unknown }]);
    await expect(numbers.lookup('+15550005555')).resolves.toBeUndefined();
    // A direct number is set as ever.
    await request(http.app).put(`/api/numbers/${enc('+15550005555')}`).set(auth).send(newLine).expect(201);
  });

  it('answers 400 with one message per field, naming the nearest languages', async () => {
    const { http, numbers } = await adminSetup();
    const res = await request(http.app)
      .put(`/api/numbers/${enc(ES_LINE.number)}`)
      .set(auth)
      .send({ destination: 'agent desk', callerLanguage: 'german', agentLanguage: 'EN', originalVolume: 3, colour: 'blue' })
      .expect(400);
    const body = res.body as { error: string; problems: { path: string[]; message: string }[] };
    expect(body.error).toBe('invalid number settings');
    const byField = Object.fromEntries(body.problems.map((p) => [p.path.join('.') || '(object)', p.message]));
    expect(byField.destination).toContain("'agent desk' is not a destination");
    expect(byField.callerLanguage).toMatch(/unknown language 'german'; did you mean de\b/);
    expect(byField.agentLanguage).toMatch(/did you mean en\b/);
    expect(byField.originalVolume).toContain('from 0 (off) to 1');
    expect(byField['(object)']).toContain("unknown setting 'colour'");
    await expect(numbers.lookup(ES_LINE.number)).resolves.toEqual(ES_LINE);
  });

  it('refuses a body whose number differs from the path, and a path that is not a number', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app)
      .put(`/api/numbers/${enc(ES_LINE.number)}`)
      .set(auth)
      .send({ ...newLine, number: '+15550009999' })
      .expect(400);
    expect((res.body as { problems: unknown }).problems).toEqual([
      { path: ['number'], message: "'+15550009999' does not match the number in the path (+15550001111); leave it out or make them equal" },
    ]);
    await request(http.app).put('/api/numbers/12345').set(auth).send(newLine).expect(400);
  });

  it('refuses bodies that are not a JSON object', async () => {
    const { http } = await adminSetup();
    const path = `/api/numbers/${enc('+15550005555')}`;
    await request(http.app)
      .put(path)
      .set(auth)
      .set('Content-Type', 'application/json')
      .send('{"destination": ')
      .expect(400, { error: 'the request body is not valid JSON: it ends before the JSON is complete' });
    await request(http.app)
      .put(path)
      .set(auth)
      .set('Content-Type', 'text/plain')
      .send('destination=x')
      .expect(415, { error: "send the body as JSON with Content-Type: application/json; this one came as 'text/plain'" });
    // No body at all: the route says what it wants.
    await request(http.app).put(path).set(auth).expect(400, { error: 'send the settings as a JSON object (Content-Type: application/json)' });
    const res = await request(http.app).put(path).set(auth).send(['x']).expect(400);
    expect((res.body as { problems: { message: string }[] }).problems[0].message).toContain('must be a mapping of settings');
  });
});

describe('DELETE /api/numbers/:number', () => {
  it('removes the number (204); then it is gone (404)', async () => {
    const { http, numbers } = await adminSetup();
    await request(http.app).delete(`/api/numbers/${enc(DE_LINE.number)}`).set(auth).expect(204);
    await expect(numbers.lookup(DE_LINE.number)).resolves.toBeUndefined();
    await request(http.app).delete(`/api/numbers/${enc(DE_LINE.number)}`).set(auth).expect(404);
    await request(http.app).get(`/api/numbers/${enc(DE_LINE.number)}`).set(auth).expect(404);
    await request(http.app).delete('/api/numbers/abc').set(auth).expect(400);
  });
});

describe('DELETE /api/numbers/:number/callers/:caller/language', () => {
  const path = `/api/numbers/${enc(ES_LINE.number)}/callers/${enc('+34600000000')}/language`;

  it('forgets a remembered caller language (204), then answers 404', async () => {
    const remembered = new Set(['+15550001111 +34600000000']);
    const store: NumberStore = Object.assign(new InMemoryNumberStore([ES_LINE]), {
      forgetCallerLanguage: (number: string, caller: string) => Promise.resolve(remembered.delete(`${number} ${caller}`)),
    });
    const { http } = await adminSetup({ numbers: store });
    await request(http.app).delete(path).set(auth).expect(204);
    expect(remembered.size).toBe(0);
    await request(http.app).delete(path).set(auth).expect(404, { error: 'no language remembered for +34600000000 on +15550001111' });
  });

  it('answers 501 when the store does not remember languages', async () => {
    const { http } = await adminSetup();
    await request(http.app).delete(path).set(auth).expect(501);
  });
});

describe('GET /api/languages', () => {
  it('lists the supported codes with their names', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).get('/api/languages').set(auth).expect(200);
    const languages = (res.body as { languages: { code: string; name: string }[] }).languages;
    expect(languages).toContainEqual({ code: 'de', name: 'German' });
    expect(languages).toContainEqual({ code: 'pt-BR', name: 'Portuguese (Brazil)' });
    expect(languages.length).toBeGreaterThan(50);
  });
});
