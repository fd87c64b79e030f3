/**
 * Hostile values at the admin API: every one is bounded before any work that grows with it (an
 * oversized language code used to make the nearest-language suggestion block the event loop for
 * half a second), and each is answered 400 with a short message naming the field.
 */
import request from 'supertest';
import * as languages from '../../src/translate/languages';
import { encodeCursor } from '../../src/store/call-record-store';
import { adminSetup, auth } from './helpers/admin-app';

type Problems = { error: string; problems: { path: (string | number)[]; message: string }[] };

afterEach(() => jest.restoreAllMocks());

const settings = { destination: '+15550002222', callerLanguage: 'es', agentLanguage: 'en' };

describe('admin API input bounds', () => {
  it('refuses a 95 KB language code at once, without looking for the nearest language', async () => {
    const nearest = jest.spyOn(languages, 'nearestLanguages');
    const { http } = await adminSetup();
    const res = await request(http.app)
      .put('/api/numbers/+15550001111')
      .set(auth)
      .send({ ...settings, callerLanguage: 'x'.repeat(95_000), agentLanguage: 'y'.repeat(1000) })
      .expect(400);
    const body = res.body as Problems;
    expect(body.problems).toEqual([
      { path: ['callerLanguage'], message: 'must be a language code of at most 35 characters' },
      { path: ['agentLanguage'], message: 'must be a language code of at most 35 characters' },
    ]);
    expect(nearest).not.toHaveBeenCalled();
    expect(res.text.length).toBeLessThan(1000);
  });

  it('refuses a language menu of thousands of entries without checking each one', async () => {
    const supported = jest.spyOn(languages, 'isSupportedLanguage');
    const { http } = await adminSetup();
    const res = await request(http.app)
      .put('/api/numbers/+15550001111')
      .set(auth)
      .send({ ...settings, languageMenu: Array.from({ length: 20_000 }, () => 'zz') })
      .expect(400);
    expect((res.body as Problems).problems).toEqual([{ path: ['languageMenu'], message: 'can offer at most nine languages (keys 1 to 9)' }]);
    expect(supported.mock.calls.length).toBeLessThan(10);
  });

  it('quotes no more than the start of an overlong value back', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app)
      .put('/api/numbers/+15550001111')
      .set(auth)
      .send({ ...settings, destination: 'sip:' + 'a'.repeat(50_000) })
      .expect(400);
    expect(res.text.length).toBeLessThan(1000);
    expect((res.body as Problems).problems[0]).toMatchObject({ path: ['destination'] });
  });

  it.each([
    ['number', 'number', '+1'.padEnd(5000, '5')],
    ['cursor', 'cursor', 'A'.repeat(5000)],
    ['from', 'from', '2025-01-01'.repeat(500)],
    ['outcome', 'outcome', 'x'.repeat(5000)],
    ['limit', 'limit', '9'.repeat(5000)],
    ['idPrefix', 'idPrefix', 'f'.repeat(5000)],
  ])('answers 400 to an overlong %s query parameter, quoting little of it', async (_label, name, value) => {
    const { http } = await adminSetup();
    const res = await request(http.app).get('/api/calls').query({ [name]: value }).set(auth).expect(400);
    expect((res.body as Problems).problems).toEqual([expect.objectContaining({ path: [name] })]);
    expect(res.text.length).toBeLessThan(1000);
  });

  it('answers 400 to an overlong path parameter', async () => {
    const { http } = await adminSetup();
    for (const path of [`/api/numbers/${'1'.repeat(5000)}`, `/api/calls/${'c'.repeat(5000)}`, `/api/numbers/+15550001111/callers/${'2'.repeat(5000)}/language`]) {
      const res = await request(http.app).get(path).set(auth);
      if (path.endsWith('/language')) {
        const del = await request(http.app).delete(path).set(auth);
        expect(del.status).toBe(400);
        expect(del.text.length).toBeLessThan(1000);
      } else {
        expect(res.status).toBe(400);
        expect(res.text.length).toBeLessThan(1000);
      }
    }
  });
});

describe('admin API small input checks', () => {
  it.each(['2025-02-30', '2025-13-01', '2025-04-31T10:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01T10:60:00Z', '2025-01-01T10:00:00+25:00', '2023-02-29'])(
    'refuses the impossible date %s instead of shifting it',
    async (date) => {
      const { http } = await adminSetup();
      const res = await request(http.app).get('/api/calls').query({ from: date }).set(auth).expect(400);
      // Said to be no such day or time, not to be malformed.
      expect((res.body as Problems).problems).toEqual([{ path: ['from'], message: expect.stringMatching(/^there is no /) }]);
    },
  );

  it('accepts real dates, a leap day included', async () => {
    const { http } = await adminSetup();
    for (const date of ['2024-02-29', '2025-01-31T23:59:59.999Z', '2025-06-30T00:00:00-07:00']) {
      await request(http.app).get('/api/calls').query({ from: date }).set(auth).expect(200);
    }
  });

  it.each([
    ['an infinite time', '[1e999,"call-1"]'],
    ['a time past any date', '[8640000000000001,"call-1"]'],
    ['a fractional time', '[1.5,"call-1"]'],
    ['an overlong id', `[0,"${'c'.repeat(1000)}"]`],
  ])('refuses a cursor with %s', async (_label, json) => {
    const { http } = await adminSetup();
    const cursor = Buffer.from(json).toString('base64url');
    const res = await request(http.app).get('/api/calls').query({ cursor }).set(auth).expect(400);
    expect((res.body as Problems).problems).toEqual([{ path: ['cursor'], message: 'is not a cursor this API returned' }]);
    // A cursor the API made is still fine.
    await request(http.app).get('/api/calls').query({ cursor: encodeCursor({ startedAt: Date.parse('2025-01-01T10:01:00Z'), id: 'call-2' }) }).set(auth).expect(200);
  });

  it.each([
    ['null', 'null', 'must be a mapping of settings, not null'],
    ['a bare string', '"es"', 'must be a mapping of settings, not a string'],
    ['a number', '42', 'must be a mapping of settings, not a number'],
    ['a list', '[]', 'must be a mapping of settings, not a list'],
  ])('says what is wrong with a JSON body that is %s, rather than calling it invalid JSON', async (_label, body, message) => {
    const { http } = await adminSetup();
    const res = await request(http.app).put('/api/numbers/+15550001111').set(auth).set('Content-Type', 'application/json').send(body).expect(400);
    expect(res.body).toMatchObject({ problems: [{ path: [], message }] });
  });

  it('still calls broken JSON broken JSON', async () => {
    const { http } = await adminSetup();
    const res = await request(http.app).put('/api/numbers/+15550001111').set(auth).set('Content-Type', 'application/json').send('{"destination":').expect(400);
    expect(res.body).toEqual({ error: 'the request body is not valid JSON: it ends before the JSON is complete' });
  });
});
